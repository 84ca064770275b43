"""Spreading first polls: a new source's first poll goes to the least busy minute of its interval.

Sources added together (an OPML import, `addsource` in a loop) would otherwise all be due at once and keep polling
in the same minute ever after. A single source added to a quiet site is still polled at once: the current minute
is the least busy one.
"""

import random
from datetime import datetime, timedelta

from django.db.models import Count
from django.db.models.functions import TruncMinute
from django.utils import timezone

from feeds.ingest.schedule import default_interval
from feeds.models import Source

MINUTE = timedelta(minutes=1)


def first_poll_time(
    *, interval_minutes: int | None = None, now: datetime | None = None, rng: random.Random | None = None
) -> datetime:
    """A time in the least busy minute of the coming interval (the earliest of equals), at a random second of it;
    now when that is the current minute.

    interval_minutes: the source's own interval; None: the default interval.
    """
    now, rng = now or timezone.now(), rng or random.Random()  # noqa: S311 - spreading, not secrecy
    minutes = max(interval_minutes or int(default_interval() / MINUTE), 1)
    load = minute_load(now=now, minutes=minutes)
    quietest = min(range(minutes), key=lambda minute: (load[minute], minute))
    if quietest == 0:
        return now  # due at the scheduler's next look
    return now.replace(second=0, microsecond=0) + quietest * MINUTE + MINUTE * rng.random()


def minute_load(*, now: datetime, minutes: int) -> list[int]:
    """How many active sources are due in each of the coming minutes; minute 0 also holds those due already."""
    base = now.replace(second=0, microsecond=0)
    load = [0] * minutes
    load[0] = Source.objects.due(base + MINUTE).count()
    coming = Source.objects.active().filter(next_poll_at__gte=base + MINUTE, next_poll_at__lt=base + minutes * MINUTE)
    rows = coming.annotate(minute=TruncMinute("next_poll_at")).values("minute").annotate(due=Count("id"))
    for row in rows.order_by():
        index = int((row["minute"] - base) / MINUTE)
        if 0 <= index < minutes:
            load[index] += row["due"]
    return load
