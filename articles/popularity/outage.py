"""The counter Redis's outages: skip it a few seconds after a failure, warn at most once a minute, say what was lost."""

import logging
import threading
import time

from newsblog import metrics

logger = logging.getLogger(__name__)

WARNING_INTERVAL_SECONDS = 60
# After a failure the counter is left alone this long, so a hanging Redis costs readers one timeout, not one each.
RETRY_SECONDS = 5


class CounterOutage:
    """Remembers that the counter Redis failed: skips it for a few seconds and warns at most once a minute."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        self.skip_until = self.warned_at = float("-inf")
        self.dropped = 0

    def active(self) -> bool:
        return time.monotonic() < self.skip_until

    def dropped_one(self) -> None:
        metrics.VIEWS_DROPPED.inc()
        with self._lock:
            self.dropped += 1

    def failed(self, error: Exception) -> None:
        metrics.VIEWS_DROPPED.inc()
        now = time.monotonic()
        with self._lock:
            self.dropped += 1
            self.skip_until = now + RETRY_SECONDS
            if now - self.warned_at < WARNING_INTERVAL_SECONDS:
                return
            self.warned_at = now
        logger.warning("View counter Redis is unreachable, views are being dropped: %s", error)

    def recovered(self) -> None:
        """Say how many views this process lost, once the counter answers again."""
        with self._lock:
            dropped, self.dropped = self.dropped, 0
        if dropped:
            logger.warning("View counter Redis is back; %d views were dropped while it was unreachable", dropped)


outage = CounterOutage()
