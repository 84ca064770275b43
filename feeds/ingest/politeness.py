"""Politeness towards the sites we fetch article pages from: a few requests at a time per host, spaced out.

InProcessHostLimiter holds its state in this process only: two Celery worker processes each keep their own
limits. A limiter shared through Redis can take its place later behind the same acquire()/backoff() calls.
"""

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

MAX_IN_FLIGHT_PER_HOST = 2
MIN_SECONDS_BETWEEN_STARTS = 1.0
# How long a host that answered 429 or 503 is left alone when it does not say (Retry-After) itself.
DEFAULT_BACKOFF_SECONDS = 60.0
MAX_BACKOFF_SECONDS = 600.0


class HostBackingOff(Exception):
    """The host asked us to slow down and its pause is not over: skip it rather than wait."""


@dataclass
class _Host:
    slots: threading.Semaphore
    next_start: float = 0.0
    paused_until: float = 0.0


class InProcessHostLimiter:
    """At most `in_flight` requests at once and `between_starts` seconds between their starts, per host."""

    def __init__(
        self,
        *,
        in_flight: int = MAX_IN_FLIGHT_PER_HOST,
        between_starts: float = MIN_SECONDS_BETWEEN_STARTS,
        clock=time.monotonic,
        sleep=time.sleep,
    ):
        self._in_flight, self._between_starts = in_flight, between_starts
        self._hosts: dict[str, _Host] = {}
        self._lock = threading.Lock()
        self._clock, self._sleep = clock, sleep

    def _host(self, host: str) -> _Host:
        with self._lock:
            return self._hosts.setdefault(host.lower(), _Host(slots=threading.Semaphore(self._in_flight)))

    @contextmanager
    def acquire(self, host: str) -> Iterator[None]:
        """Wait for a slot and the host's next start time; HostBackingOff while the host's pause lasts."""
        state = self._host(host)
        with state.slots:
            with self._lock:
                now = self._clock()
                if state.paused_until > now:
                    raise HostBackingOff(f"{host} asked us to slow down; retrying after its pause")
                start = max(now, state.next_start)
                state.next_start = start + self._between_starts
            if start > now:
                self._sleep(start - now)
            yield

    def backoff(self, host: str, seconds: float = 0.0) -> None:
        """The host answered 429/503: leave it alone for `seconds` (its Retry-After, bounded) or the default."""
        pause = min(seconds, MAX_BACKOFF_SECONDS) if seconds > 0 else DEFAULT_BACKOFF_SECONDS
        state = self._host(host)
        with self._lock:
            state.paused_until = max(state.paused_until, self._clock() + pause)


# One per process: polls in the same worker share it.
HOSTS = InProcessHostLimiter()
