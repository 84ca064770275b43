"""Spread schedules: sources added together are polled across their interval, not all in the same minute."""

import random
from collections import Counter
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from feeds.ingest import schedule
from feeds.models import Source
from feeds.services import source_create
from feeds.spread import first_poll_time
from tests.factories import SourceFactory

pytestmark = pytest.mark.django_db
SOURCES = 1000
INTERVAL = timedelta(minutes=30)


def minute_counts(sources, since) -> Counter:
    return Counter(int((source.next_poll_at - since) / timedelta(minutes=1)) for source in sources)


def assert_spread_over_the_interval(since, finished) -> None:
    """Due times within the interval (which slides along while the sources are being added, a minute or more on a
    busy machine), every minute of it taking its share and none more than twice the average."""
    sources = list(Source.objects.all())
    assert len(sources) == SOURCES
    end = finished.replace(second=0, microsecond=0) + INTERVAL + timedelta(minutes=1)
    assert all(since <= source.next_poll_at < end for source in sources)
    minutes = int((end - since) / timedelta(minutes=1))
    per_minute = minute_counts(sources, since)
    average = SOURCES / minutes
    assert len(per_minute) >= 30 and max(per_minute.values()) <= 2 * average, per_minute


def test_a_thousand_sources_added_at_once_are_spread_over_their_interval(settings):
    settings.FEEDS_DEFAULT_INTERVAL_MINUTES = 30
    since = timezone.now().replace(second=0, microsecond=0)
    for n in range(SOURCES):
        source_create(feed_url=f"https://blogs.example.com/{n}/feed", name=f"Blog {n}")
    assert_spread_over_the_interval(since, timezone.now())


def test_a_thousand_sources_imported_from_opml_are_spread_over_their_interval(settings, tmp_path):
    settings.FEEDS_DEFAULT_INTERVAL_MINUTES = 30
    outline = '<outline text="Blog {n}" xmlUrl="https://blogs.example.com/{n}/feed"/>'
    outlines = "".join(outline.format(n=n) for n in range(SOURCES))
    opml = tmp_path / "blogs.opml"
    opml.write_text(f'<?xml version="1.0"?><opml version="2.0"><body>{outlines}</body></opml>')
    since = timezone.now().replace(second=0, microsecond=0)
    call_command("importopml", str(opml), stdout=StringIO())
    assert_spread_over_the_interval(since, timezone.now())


def test_one_source_added_to_a_quiet_site_is_polled_at_once():
    now = timezone.now()
    assert first_poll_time(now=now, interval_minutes=30) - now < timedelta(minutes=1)


def test_a_new_source_goes_to_the_least_busy_minute(settings):
    now = timezone.now().replace(second=0, microsecond=0)
    busy = [now + timedelta(minutes=minute, seconds=5) for minute in range(10) if minute != 6]
    for when in busy:
        SourceFactory(next_poll_at=when)
    when = first_poll_time(now=now, interval_minutes=10, rng=random.Random(1))
    assert now + timedelta(minutes=6) <= when < now + timedelta(minutes=7)


def test_polls_after_a_success_drift_apart_with_ten_percent_jitter():
    now, rng = timezone.now(), random.Random(7)
    times = [schedule.next_poll_after_success(now=now, interval=INTERVAL, headers={}, rng=rng) for _ in range(200)]
    assert all(now + INTERVAL * 0.9 <= when <= now + INTERVAL * 1.1 for when in times)
    assert max(times) - min(times) > INTERVAL * 0.15
