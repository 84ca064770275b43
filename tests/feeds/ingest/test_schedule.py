import random
from datetime import UTC, datetime, timedelta

import pytest

from feeds.ingest import schedule

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def posts_every(gap: timedelta, count: int = 10) -> list[datetime]:
    return [NOW - gap * n for n in range(count)]


def test_default_interval_is_30_minutes_without_enough_posts():
    assert schedule.base_interval(override_minutes=None, recent_posts=posts_every(timedelta(hours=1), 2)) == (
        timedelta(minutes=30)
    )


def test_a_source_override_wins():
    assert schedule.base_interval(override_minutes=90, recent_posts=posts_every(timedelta(minutes=1))) == (
        timedelta(minutes=90)
    )


@pytest.mark.parametrize(
    "gap, expected",
    [
        (timedelta(minutes=1), timedelta(minutes=5)),
        (timedelta(hours=2), timedelta(hours=1)),
        (timedelta(days=5), timedelta(hours=24)),
    ],
)
def test_adaptive_interval_follows_the_posting_rate_within_5_minutes_and_24_hours(gap, expected):
    assert schedule.base_interval(override_minutes=None, recent_posts=posts_every(gap)) == expected


def test_success_is_never_sooner_than_max_age_or_retry_after():
    headers = {"cache-control": "public, max-age=7200"}
    assert schedule.next_poll_after_success(now=NOW, interval=timedelta(minutes=30), headers=headers) == (
        NOW + timedelta(hours=2)
    )
    headers = {"retry-after": "Sat, 28 Nov 2026 15:00:00 GMT"}
    assert schedule.next_poll_after_success(now=NOW, interval=timedelta(minutes=30), headers=headers) == (
        NOW + timedelta(hours=3)
    )


@pytest.mark.parametrize("value", ["", "soon", "-5", "Feb 30 garbage"])
def test_unreadable_retry_after_is_ignored(value):
    assert schedule.retry_after(value, now=NOW) == timedelta(0)


def test_failure_backoff_doubles_with_jitter_and_caps_at_24_hours():
    rng = random.Random(7)
    delays = [
        schedule.next_poll_after_failure(now=NOW, failures=n, interval=timedelta(minutes=30), headers={}, rng=rng) - NOW
        for n in range(1, 12)
    ]
    assert timedelta(minutes=24) <= delays[0] <= timedelta(minutes=36)
    assert timedelta(minutes=48) <= delays[1] <= timedelta(minutes=72)
    assert all(delay <= timedelta(hours=24) for delay in delays)
    assert delays[-1] >= timedelta(hours=19)


def test_failure_waits_at_least_retry_after():
    delay = schedule.next_poll_after_failure(
        now=NOW, failures=1, interval=timedelta(minutes=5), headers={"retry-after": "7200"}
    )
    assert delay - NOW == timedelta(hours=2)
