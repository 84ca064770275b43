"""Silent feeds: the fetches succeed, but no new entry came for far longer than the source's own rhythm.

A source is silent when its newest entry is older than max(3 x the median gap between its last 30 entries,
24 h). Sources with fewer than 5 entries have no rhythm to judge by and are never silent. A new entry clears it.
"""

from collections.abc import Sequence
from datetime import datetime, timedelta
from statistics import median

HISTORY = 30
MIN_ENTRIES = 5
GAP_FACTOR = 3
MIN_SILENCE = timedelta(hours=24)


def silence_limit(post_dates: Sequence[datetime]) -> timedelta | None:
    """How long the source may go without a new entry before it is silent; None with too little history."""
    dates = sorted(post_dates, reverse=True)[:HISTORY]
    if len(dates) < MIN_ENTRIES:
        return None
    gaps = [newer - older for newer, older in zip(dates, dates[1:], strict=False)]
    return max(GAP_FACTOR * median(gaps), MIN_SILENCE)


def silent_since(*, post_dates: Sequence[datetime], now: datetime) -> datetime | None:
    """When the source fell silent (its newest entry plus its limit), or None while it is not silent."""
    limit = silence_limit(post_dates)
    if limit is None:
        return None
    fell_silent = max(post_dates) + limit
    return fell_silent if fell_silent < now else None
