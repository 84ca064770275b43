"""Politeness toward the hosts we fetch from: feeds, article pages (full text) and original re-checks alike.

Per host, at most FEEDS_HOST_MAX_IN_FLIGHT requests at once and FEEDS_HOST_MIN_GAP_MS between their starts;
a host that answers 429 (or 503 with Retry-After) is left alone for its Retry-After, and one whose requests keep
failing is left alone for a growing pause. With REDIS_URL the state is shared by every worker process and machine
(shared.py); without it (embedded default) each process keeps its own (local.py). The fetch stage takes a turn
for every request it sends (`host_turn`); a turn that cannot start within its wait raises HostBusy, one for a
paused host HostBackingOff, and the caller defers its work instead of sleeping past its time limit.
"""

import logging
import random
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import redis
from django.conf import settings
from django.utils import timezone

from feeds.ingest.errors import FetchError
from feeds.ingest.schedule import retry_after
from feeds.politeness.local import InProcessHostLimiter
from feeds.politeness.shared import RedisHostLimiter
from feeds.politeness.state import HostPause, Reservation
from operations.counters import window_count

__all__ = [
    "HostBackingOff",
    "HostBusy",
    "HostNotNow",
    "HostPause",
    "host_of",
    "host_pause",
    "host_turn",
    "limiter",
    "limiter_reset",
    "paused_hosts",
    "within_budget",
]

logger = logging.getLogger("feeds.politeness")

# A slot is leased for longer than any one request may take (the fetcher's 30 s deadline), so a worker that
# dies mid-request frees its slot by itself.
LEASE_SECONDS = 60.0
# A host is paused after this many failed requests in a row (network errors, timeouts, 5xx), from any source.
FAILURES_BEFORE_PAUSE = 3
FIRST_FAILURE_PAUSE_SECONDS = 60.0
MAX_FAILURE_PAUSE_SECONDS = 3600.0
# A 429 without Retry-After.
DEFAULT_SLOW_DOWN_SECONDS = 60.0
# How often a waiting request asks again for a slot that another request holds.
POLL_SECONDS = 0.05
SERVER_FAILURES = frozenset({500, 502, 503, 504})


class HostNotNow(FetchError):
    """The host cannot be asked now; `retry_at` is when it is worth trying again. Defer, do not record a failure."""

    def __init__(self, message: str, *, host: str, retry_at: datetime):
        super().__init__(message)
        self.host, self.retry_at = host, retry_at


class HostBusy(HostNotNow):
    """Every slot of the host stayed taken, or its next start was too far off, for as long as we could wait."""


class HostBackingOff(HostNotNow):
    """The host is paused (it asked us to slow down, or kept failing)."""

    def __init__(self, pause: HostPause):
        super().__init__(str(pause), host=pause.host, retry_at=pause.until)
        self.pause = pause


_limiter: InProcessHostLimiter | RedisHostLimiter | None = None
_limiter_lock = threading.Lock()


def limiter() -> InProcessHostLimiter | RedisHostLimiter:
    """This process's limiter (made once, under a lock: pollfeeds' threads must all share the one)."""
    global _limiter  # noqa: PLW0603 - one per process, by design
    with _limiter_lock:
        if _limiter is None:
            _limiter = _new_limiter()
        return _limiter


def limiter_reset() -> None:
    """Forget this process's limiter, so the next fetch makes one from the settings as they are (tests)."""
    global _limiter  # noqa: PLW0603
    with _limiter_lock:
        _limiter = None


def _new_limiter() -> InProcessHostLimiter | RedisHostLimiter:
    """Shared through Redis when REDIS_URL is set, else this process's own."""
    limits = {
        "in_flight": settings.FEEDS_HOST_MAX_IN_FLIGHT,
        "gap": settings.FEEDS_HOST_MIN_GAP_MS / 1000,
        "lease": LEASE_SECONDS,
    }
    if settings.REDIS_URL:
        return RedisHostLimiter(url=settings.REDIS_URL, **limits)
    return InProcessHostLimiter(**limits)


def host_of(url: str) -> str:
    """The host politeness is kept for: the URL's host name, lower-case (every port of it together)."""
    return (urlsplit(url).hostname or "").lower()


class Turn:
    """One request's turn at a host: tell it what the host answered; a pause it starts is kept on `pause`."""

    def __init__(self, host: str):
        self.host = host
        self.status: int | None = None
        self.headers: dict[str, str] = {}
        self.pause: HostPause | None = None

    def starting(self) -> None:
        """Call right before the request goes out: the host's next start counts from this moment."""
        # Logged before the limiter reads its clock, and after the turn's grant: two lines for one host are at least
        # the gap apart whenever the limiter kept it, however late a busy machine runs either thread.
        logger.debug("request to %s starts", self.host, extra={"host": self.host})
        try:
            limiter().started(self.host)
        except redis.RedisError:
            return  # the gap from the grant still holds

    def answered(self, status: int, headers: dict[str, str]) -> None:
        self.status, self.headers = status, headers

    @property
    def failed(self) -> bool:
        return self.status is None or (self.status in SERVER_FAILURES and not self._asked_to_slow_down)

    @property
    def _asked_to_slow_down(self) -> bool:
        return self.status == 429 or (self.status == 503 and bool(self.headers.get("retry-after", "").strip()))


@contextmanager
def host_turn(host: str, *, max_wait: float) -> Iterator[Turn]:
    """Wait (at most max_wait seconds) for a slot and start time at host, then run the request in the block.

    HostBackingOff while the host is paused; HostBusy when no turn came in time. A FetchError leaving the block
    is a failed request, and carries the pause it started (if any) as `host_pause`.
    """
    turn, token = Turn(host), _wait_for_slot(host, max_wait)
    try:
        yield turn
    except FetchError as error:
        _finish(turn, token, error=str(error))
        error.host_pause = turn.pause
        raise
    except BaseException:
        _release(host, token, failed=False)
        raise
    else:
        _finish(turn, token, error="")


def _wait_for_slot(host: str, max_wait: float) -> str:
    """A slot's token, taken the moment its start comes; the wait never goes past max_wait."""
    deadline = time.monotonic() + max(max_wait, 0.0)
    while True:
        reservation = _reserve(host)
        if reservation.pause is not None:
            raise HostBackingOff(reservation.pause)
        if reservation.token:
            return reservation.token
        left = deadline - time.monotonic()
        if left <= 0 or reservation.delay > left:
            raise _busy(host, reservation.delay, max_wait)
        # Until the next start; while every slot is taken, a short spread-out poll.
        pause = reservation.delay or POLL_SECONDS * random.uniform(0.5, 1.5)  # noqa: S311 - spreading, not secrecy
        time.sleep(min(pause, left))


def _reserve(host: str) -> Reservation:
    try:
        return limiter().reserve(host)
    except redis.RedisError as error:
        raise HostBusy(
            f"The politeness limiter (Redis) did not answer ({error}); {host} is tried again later.",
            host=host,
            retry_at=timezone.now() + timedelta(seconds=DEFAULT_SLOW_DOWN_SECONDS),
        ) from None


def _busy(host: str, delay: float, max_wait: float) -> HostBusy:
    """A busy host: try again after the wait it would have taken, plus jitter so waiters do not return together."""
    later = max(delay, settings.FEEDS_HOST_MIN_GAP_MS / 1000) + random.uniform(0, 60)  # noqa: S311
    return HostBusy(
        f"{host} had no free request slot within {max_wait:g} s (at most {settings.FEEDS_HOST_MAX_IN_FLIGHT} "
        f"requests at once, {settings.FEEDS_HOST_MIN_GAP_MS} ms between starts); tried again later.",
        host=host,
        retry_at=timezone.now() + timedelta(seconds=later),
    )


def _release(host: str, token: str, *, failed: bool) -> int:
    try:
        return limiter().release(host, token, failed=failed)
    except redis.RedisError:
        return 0  # the lease ends by itself; the failure count is a hint, not a record


def _finish(turn: Turn, token: str, *, error: str) -> None:
    """Give the slot back and pause the host when it asked us to, or after too many failures in a row."""
    failures = _release(turn.host, token, failed=turn.failed)
    if turn._asked_to_slow_down:
        _slow_down(turn)
    elif failures >= FAILURES_BEFORE_PAUSE:
        seconds = min(FIRST_FAILURE_PAUSE_SECONDS * 2 ** (failures - FAILURES_BEFORE_PAUSE), MAX_FAILURE_PAUSE_SECONDS)
        last = error or f"HTTP {turn.status}"
        _pause(turn, seconds * random.uniform(0.8, 1.2), f"{failures} requests in a row failed (last: {last})")  # noqa: S311


def _slow_down(turn: Turn) -> None:
    value = turn.headers.get("retry-after", "").strip()
    seconds = retry_after(value, now=timezone.now()).total_seconds() or DEFAULT_SLOW_DOWN_SECONDS
    said = f" with Retry-After: {value}" if value else ""
    _pause(turn, seconds, f"it asked us to slow down (HTTP {turn.status}{said})")


def _pause(turn: Turn, seconds: float, reason: str) -> None:
    pause = HostPause(host=turn.host, until=timezone.now() + timedelta(seconds=seconds), reason=reason)
    try:
        limiter().pause(turn.host, pause, seconds)
    except redis.RedisError:
        return  # the sources are still deferred in the database by the caller
    turn.pause = pause


def host_pause(host: str) -> HostPause | None:
    """The host's pause, if one is on (as this process's limiter knows it)."""
    try:
        return limiter().paused(host)
    except redis.RedisError:
        return None


def paused_hosts() -> list[HostPause]:
    """Every host paused now, for the desk."""
    try:
        return sorted(limiter().paused_hosts(), key=lambda pause: pause.until)
    except redis.RedisError:
        return []


def within_budget(name: str, per_minute: int) -> bool:
    """Count one request against this minute's budget; False once the budget is spent."""
    return window_count(f"polite:budget:{name}:{this_minute()}", 60) <= per_minute


def this_minute() -> int:
    """The wall-clock minute a budget counts in (every process agrees on it)."""
    return int(time.time() // 60)
