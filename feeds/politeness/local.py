"""The embedded default's host limiter: this process's threads share it; another process keeps its own."""

import threading
import time
import uuid
from dataclasses import dataclass, field

from feeds.politeness.state import HostPause, Reservation


@dataclass
class _Host:
    leases: dict[str, float] = field(default_factory=dict)  # token -> lease end (monotonic)
    next_start: float = 0.0
    failures: int = 0
    pause: HostPause | None = None
    pause_ends: float = 0.0  # monotonic


class InProcessHostLimiter:
    """At most `in_flight` requests at once and `gap` seconds between their starts, per host, in this process."""

    def __init__(self, *, in_flight: int, gap: float, lease: float, clock=time.monotonic):
        self.in_flight, self.gap, self.lease = in_flight, gap, lease
        self._hosts: dict[str, _Host] = {}
        self._lock = threading.Lock()
        self._clock = clock

    def _host(self, host: str) -> _Host:
        return self._hosts.setdefault(host, _Host())

    def reserve(self, host: str) -> Reservation:
        """A slot to start a request now, or why not: paused, every slot taken, or how long until the next start."""
        with self._lock:
            now, state = self._clock(), self._host(host)
            if state.pause is not None and state.pause_ends > now:
                return Reservation(pause=state.pause)
            state.leases = {token: ends for token, ends in state.leases.items() if ends > now}
            if len(state.leases) >= self.in_flight:
                return Reservation()
            if state.next_start > now:
                return Reservation(delay=state.next_start - now)
            token = uuid.uuid4().hex
            state.leases[token] = now + self.lease
            state.next_start = now + self.gap
            return Reservation(token=token)

    def started(self, host: str) -> None:
        """The request really starts now: the next one waits a gap from here, however late this thread got here."""
        with self._lock:
            state = self._host(host)
            state.next_start = max(state.next_start, self._clock() + self.gap)

    def release(self, host: str, token: str, *, failed: bool) -> int:
        """Give the slot back; the host's consecutive failures after this request."""
        with self._lock:
            state = self._host(host)
            state.leases.pop(token, None)
            state.failures = state.failures + 1 if failed else 0
            return state.failures

    def pause(self, host: str, pause: HostPause, seconds: float) -> None:
        with self._lock:
            state = self._host(host)
            ends = self._clock() + seconds
            if ends > state.pause_ends:
                state.pause, state.pause_ends = pause, ends

    def paused(self, host: str) -> HostPause | None:
        with self._lock:
            state = self._hosts.get(host)
            if state is None or state.pause is None or state.pause_ends <= self._clock():
                return None
            return state.pause

    def paused_hosts(self) -> list[HostPause]:
        with self._lock:
            now = self._clock()
            return [s.pause for s in self._hosts.values() if s.pause is not None and s.pause_ends > now]
