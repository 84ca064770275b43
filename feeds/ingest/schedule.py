"""When to poll a source next: adaptive interval, server hints (max-age, Retry-After), failure back-off."""

import random
import re
from collections.abc import Sequence
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from statistics import median

from django.conf import settings

MIN_INTERVAL = timedelta(minutes=5)
MAX_INTERVAL = timedelta(hours=24)
# Fewer dated posts than this and the posting rate is a guess: the default interval is used.
MIN_POSTS_FOR_RATE = 3
RECENT_POSTS = 10
_MAX_AGE = re.compile(r"(?:^|[,\s])(?:s-)?max-age\s*=\s*\"?(\d+)")


def default_interval() -> timedelta:
    return timedelta(minutes=settings.FEEDS_DEFAULT_INTERVAL_MINUTES)


def base_interval(*, override_minutes: int | None, recent_posts: Sequence[datetime]) -> timedelta:
    """The source's own interval if set; else half the median gap between recent posts, within 5 min..24 h."""
    if override_minutes:
        return timedelta(minutes=override_minutes)
    dates = sorted(recent_posts, reverse=True)[:RECENT_POSTS]
    if len(dates) < MIN_POSTS_FOR_RATE:
        return default_interval()
    gaps = [newer - older for newer, older in zip(dates, dates[1:], strict=False)]
    return min(max(median(gaps) / 2, MIN_INTERVAL), MAX_INTERVAL)


def next_poll_after_success(
    *, now: datetime, interval: timedelta, headers: dict[str, str], rng: random.Random | None = None
) -> datetime:
    """The next poll time: the interval with +-10% jitter (so sources polled together drift apart instead of
    staying in step), but never sooner than Cache-Control max-age or Retry-After allow."""
    rng = rng or random.Random()  # noqa: S311 - jitter, not cryptography
    floor = max(max_age(headers.get("cache-control", "")), retry_after(headers.get("retry-after", ""), now=now))
    return now + min(max(interval * rng.uniform(0.9, 1.1), floor), MAX_INTERVAL)


def next_poll_after_failure(
    *, now: datetime, failures: int, interval: timedelta, headers: dict[str, str], rng: random.Random | None = None
) -> datetime:
    """Exponential back-off from the normal interval with +-20% jitter, capped at 24 h, at least Retry-After."""
    rng = rng or random.Random()  # noqa: S311 - jitter, not cryptography
    exponent = min(max(failures - 1, 0), 16)
    delay = min(interval * (2**exponent), MAX_INTERVAL) * rng.uniform(0.8, 1.2)
    delay = max(min(delay, MAX_INTERVAL), retry_after(headers.get("retry-after", ""), now=now))
    return now + delay


def max_age(cache_control: str) -> timedelta:
    """The max-age a Cache-Control header allows (zero if none)."""
    match = _MAX_AGE.search(cache_control.lower())
    return timedelta(seconds=min(int(match.group(1)), 86_400)) if match else timedelta(0)


def retry_after(value: str, *, now: datetime) -> timedelta:
    """A Retry-After header (seconds or HTTP date) as a delay from now; zero when absent or unreadable."""
    value = value.strip()
    if not value:
        return timedelta(0)
    if value.isdigit():
        return timedelta(seconds=min(int(value), 86_400))
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return timedelta(0)
    if when.tzinfo is None:
        return timedelta(0)
    return min(max(when - now, timedelta(0)), MAX_INTERVAL)
