"""Silent feeds: fetched fine, but no new entry for max(3 x the median gap of the last 30, 24 h)."""

from datetime import timedelta
from email.utils import format_datetime

import pytest
from django.utils import timezone

from feeds.models import Source
from feeds.services import feed_poll
from feeds.silence import silence_limit, silent_since
from tests.newsblog.metrics_helpers import value

NOW = timezone.now()


def hourly(count: int, *, newest_age: timedelta) -> list:
    return [NOW - newest_age - timedelta(hours=n) for n in range(count)]


def rss(dates: list) -> str:
    items = "".join(
        f"<item><title>Post {n}</title><link>https://news.example.com/{n}</link><guid>post-{n}</guid>"
        f"<pubDate>{format_datetime(date)}</pubDate><description>Body {n}</description></item>"
        for n, date in enumerate(sorted(dates))
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>Hourly</title>{items}</channel></rss>'


def test_an_hourly_source_is_judged_on_24_hours_and_a_daily_one_on_three_days():
    assert silence_limit(hourly(30, newest_age=timedelta(0))) == timedelta(hours=24)
    daily = [NOW - timedelta(days=n) for n in range(10)]
    assert silence_limit(daily) == timedelta(days=3)


def test_a_source_with_fewer_than_five_entries_is_not_judged():
    assert silent_since(post_dates=hourly(4, newest_age=timedelta(days=30)), now=NOW) is None
    assert silent_since(post_dates=hourly(5, newest_age=timedelta(days=30)), now=NOW) is not None


def test_silent_since_is_when_the_limit_ran_out():
    dates = hourly(30, newest_age=timedelta(days=2))
    assert silent_since(post_dates=dates, now=NOW) == max(dates) + timedelta(hours=24)
    assert silent_since(post_dates=hourly(30, newest_age=timedelta(hours=20)), now=NOW) is None


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db
def test_an_hourly_feed_frozen_two_days_ago_is_silent_everywhere_until_a_new_entry(
    feed_server, source_at, admin_client, client
):
    history = hourly(30, newest_age=timedelta(days=2))
    source = source_at("/hourly.xml", rss(history), content_type="application/rss+xml")

    assert feed_poll(source=source).outcome == "ok"

    source.refresh_from_db()
    assert source.silent_since == max(history).replace(microsecond=0) + timedelta(hours=24)
    changelist = admin_client.get("/admin/feeds/source/?failing=silent").content.decode()
    assert source.name in changelist
    assert "desk-badge-silent" in changelist
    assert "<strong>1</strong>" in admin_client.get("/admin/").content.decode().split('id="silent-sources"')[1][:80]
    health = client.get("/healthz").json()
    assert health["checks"]["last_poll"]["silent_sources"] == 1
    assert "last_poll" not in health["failing"]
    assert value(client.get("/metrics").content.decode(), "newsblog_sources", state="silent") == 1

    feed_server.serve("/hourly.xml", rss([*history, NOW]), content_type="application/rss+xml")
    assert feed_poll(source=Source.objects.get(pk=source.pk)).entries_new == 1

    source.refresh_from_db()
    assert source.silent_since is None
    assert source.name not in admin_client.get("/admin/feeds/source/?failing=silent").content.decode()
    assert client.get("/healthz").json()["checks"]["last_poll"]["silent_sources"] == 0
    assert value(client.get("/metrics").content.decode(), "newsblog_sources", state="silent") == 0
