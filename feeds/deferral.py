"""Deferring polls to hosts that cannot be asked now (feeds/politeness): recorded, never counted as failures.

A source whose host is paused or busy is moved to a later poll time and a "Deferred" fetch attempt says why, on its
page. When a host is paused (it answered 429, or kept failing), every other source on it is moved past the pause
too, each with its own jitter, so they come back spread out instead of together.
"""

import random
import re
from datetime import datetime, timedelta

from django.utils import timezone

from feeds.models import FetchAttempt, Source
from feeds.outcomes import elapsed_ms
from feeds.politeness import HostNotNow, HostPause
from feeds.store_lock import write_transaction

MIN_SPREAD = timedelta(minutes=1)
MAX_SPREAD = timedelta(minutes=30)


def return_time(until: datetime, *, now: datetime, rng: random.Random | None = None) -> datetime:
    """A time after `until`, spread by up to half the wait (1 to 30 minutes), so deferred sources return apart."""
    rng = rng or random.Random()  # noqa: S311 - spreading, not secrecy
    spread = min(max((until - now) / 2, MIN_SPREAD), MAX_SPREAD)
    return until + spread * rng.random()


def source_defer(*, source: Source, error: HostNotNow, started_at: datetime, clock: float) -> FetchAttempt:
    """Move the source's next poll past its host's pause or queue and record the deferral."""
    now = timezone.now()
    next_poll = return_time(error.retry_at, now=now)
    message = f"Not fetched: {error} Next poll at {timezone.localtime(next_poll):%Y-%m-%d %H:%M %Z}."
    with write_transaction(savepoint=False):
        Source.objects.filter(pk=source.pk).update(next_poll_at=next_poll, updated_at=now)
        source.next_poll_at = next_poll
        return FetchAttempt.objects.create(
            source=source,
            started_at=started_at,
            duration_ms=elapsed_ms(clock),
            outcome=FetchAttempt.Outcome.DEFERRED,
            error=message,
        )


def host_sources_defer(*, pause: HostPause, exclude: Source | None = None) -> int:
    """Move every active source on the paused host past its pause (each with jitter), recorded on each; how many."""
    now = timezone.now()
    on_host = Source.objects.active().filter(feed_url__iregex=_host_pattern(pause.host))
    if exclude is not None:
        on_host = on_host.exclude(pk=exclude.pk)
    rng = random.Random()  # noqa: S311 - spreading, not secrecy
    with write_transaction():
        sources = list(on_host.exclude(next_poll_at__gte=pause.until).select_for_update().only("pk", "next_poll_at"))
        for source in sources:
            source.next_poll_at = return_time(pause.until, now=now, rng=rng)
        Source.objects.bulk_update(sources, ["next_poll_at"], batch_size=500)
        FetchAttempt.objects.bulk_create(
            [
                FetchAttempt(
                    source=source,
                    started_at=now,
                    outcome=FetchAttempt.Outcome.DEFERRED,
                    error=f"Not fetched: {pause} Every source on this host waits; next poll at "
                    f"{timezone.localtime(source.next_poll_at):%Y-%m-%d %H:%M %Z}.",
                )
                for source in sources
            ],
            batch_size=500,
        )
    return len(sources)


def _host_pattern(host: str) -> str:
    """A regular expression for feed URLs on host, any port; the same on PostgreSQL and SQLite."""
    return rf"^https?://{re.escape(host)}(:[0-9]+)?([/?#]|$)"
