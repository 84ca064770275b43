import logging
from datetime import timedelta

import pytest
from django.db import OperationalError, connection

from articles.models import Article, Label
from feeds import politeness
from feeds.ingest import store as store_module
from feeds.models import FetchAttempt, Source
from feeds.services import feed_poll, feed_probe
from tests.factories import SourceFactory

pytestmark = pytest.mark.django_db


def test_first_poll_stores_posts_with_labels_images_and_a_fetch_attempt(source_at):
    source = source_at("/feed.xml", file="feeds/rss20.xml")
    attempt = feed_poll(source=source)
    assert (attempt.outcome, attempt.http_status, attempt.entries_new) == ("ok", 200, 3)
    ferry = Article.objects.get(guid="gazette-1001")
    assert ferry.title == "Ferry timetable changes from Monday"
    assert ferry.url == "https://gazette.example.com/2026/11/ferry-timetable?id=7"
    assert ferry.image_url == "https://gazette.example.com/img/ferry-thumb.jpg"
    assert "steal()" not in ferry.body_html and "<script" not in ferry.body_html
    assert 'href="http://127.0.0.1' in ferry.body_html  # relative link resolved against the feed URL
    assert ferry.excerpt.startswith("The morning ferry will leave at 7:15")
    assert (ferry.url_year, ferry.url_month, ferry.slug) == (2026, 11, "ferry-timetable-changes-from-monday")
    assert sorted(ferry.labels.values_list("name", flat=True)) == ["local news", "transport"]
    assert Label.objects.filter(name="local news").count() == 1
    assert Article.objects.get(url__endswith="lighthouse").image_url == "https://gazette.example.com/img/lighthouse.jpg"
    source.refresh_from_db()
    assert source.last_success_at and source.next_poll_at > source.last_success_at
    assert source.site_url == "https://gazette.example.com/"


def test_second_poll_with_etag_is_a_304_that_changes_nothing(source_at, feed_server):
    source = source_at("/feed.xml", file="feeds/rss20.xml", etag='"v1"')
    feed_poll(source=source)
    attempt = feed_poll(source=source)
    assert (attempt.outcome, attempt.http_status, attempt.entries_new) == ("not_modified", 304, 0)
    assert feed_server.hits("/feed.xml")[-1].headers["if-none-match"] == '"v1"'
    assert Article.objects.count() == 3
    assert FetchAttempt.objects.filter(source=source).count() == 2


def test_poll_logs_one_line_with_the_outcome_fields(source_at, caplog):
    source = source_at("/feed.xml", file="feeds/rss20.xml")
    with caplog.at_level(logging.INFO, logger="feeds.poll"):
        feed_poll(source=source)
    (record,) = [r for r in caplog.records if r.name == "feeds.poll"]
    assert (record.source, record.outcome, record.http_status, record.new, record.updated) == (
        source.slug,
        "ok",
        200,
        3,
        0,
    )
    assert record.duration_ms >= 0


def test_probe_finds_the_feed_an_html_page_links_to(feed_server):
    feed_server.serve("/feed.xml", file="feeds/rss20.xml")
    probe = feed_probe(url=feed_server.serve("/", file="feeds/page_with_feed.html", content_type="text/html"))
    assert (probe.feed_url, probe.title, probe.entry_count, probe.error, probe.discovered) == (
        feed_server.url("/feed.xml"),
        "Harbour Town Gazette",
        3,
        "",
        True,
    )


def test_probe_explains_a_page_without_a_feed(feed_server):
    probe = feed_probe(url=feed_server.serve("/", file="feeds/page_without_feed.html", content_type="text/html"))
    assert probe.error == "This is a web page that does not link to any RSS, Atom or JSON feed."


def test_probe_refuses_a_file_url():
    probe = feed_probe(url="file:///etc/passwd")
    assert "Only http:// and https://" in probe.error
    assert not Source.objects.exists()


def test_a_refused_address_is_named_neither_in_the_add_source_check_nor_in_the_last_error(feed_server, settings):
    settings.FEEDS_ALLOW_PRIVATE_ADDRESSES = False
    url = feed_server.serve("/feed.xml", file="feeds/rss20.xml").replace("127.0.0.1", "localhost")
    probe = feed_probe(url=url)
    feed_poll(source=SourceFactory(feed_url=url))
    for message in (probe.error, Source.objects.get(feed_url=url).last_error):
        assert message.startswith("The address of localhost is not allowed")
        assert "127.0.0.1" not in message and "::1" not in message and "private" not in message


def test_factory_sources_are_untouched_by_other_tests():
    assert SourceFactory().is_active


@pytest.mark.parametrize("status", [301, 308])
def test_permanent_redirect_moves_the_source_and_keeps_the_old_address(source_at, feed_server, status):
    source = source_at("/old.xml", status=status, headers={"Location": "/new.xml"})
    new_url = feed_server.serve("/new.xml", file="feeds/rss20.xml")
    old_url = source.feed_url
    attempt = feed_poll(source=source)
    source.refresh_from_db()
    assert (source.feed_url, source.previous_feed_url) == (new_url, old_url)
    assert "moved permanently" in attempt.error and attempt.entries_new == 3


@pytest.mark.parametrize("status", [302, 307])
def test_temporary_redirect_keeps_the_source_address(source_at, feed_server, status):
    source = source_at("/feed.xml", status=status, headers={"Location": "/today.xml"})
    feed_server.serve("/today.xml", file="feeds/rss20.xml")
    feed_poll(source=source)
    source.refresh_from_db()
    assert source.feed_url.endswith("/feed.xml") and source.previous_feed_url == ""
    assert Article.objects.count() == 3


def test_410_switches_the_source_off_with_the_reason(source_at):
    source = source_at("/gone.xml", status=410)
    attempt = feed_poll(source=source)
    source.refresh_from_db()
    assert not source.is_active and "410 Gone" in source.disabled_reason
    assert attempt.outcome == "error" and attempt.http_status == 410


@pytest.mark.parametrize("retry_after", ["3600", "Sat, 01 Jan 2050 00:00:00 GMT"])
@pytest.mark.parametrize("status", [429, 503])
def test_429_and_503_honour_retry_after(source_at, status, retry_after):
    source = source_at("/busy.xml", status=status, headers={"Retry-After": retry_after})
    attempt = feed_poll(source=source)
    source.refresh_from_db()
    assert source.next_poll_at - attempt.started_at >= timedelta(minutes=59)
    assert source.consecutive_failures == 1 and "slow down" in source.last_error


def test_failures_back_off_exponentially_and_are_shown_to_editors(source_at, monkeypatch):
    # The source's own back-off; the host's (tests/feeds/politeness/) would pause 127.0.0.1 after three.
    monkeypatch.setattr(politeness, "FAILURES_BEFORE_PAUSE", 100)
    source = source_at("/broken.xml", status=500)
    delays = []
    for _ in range(4):
        attempt = feed_poll(source=source)
        delays.append(source.next_poll_at - attempt.started_at)
    source.refresh_from_db()
    assert (
        source.consecutive_failures == 4 and source.last_error == "The feed answered HTTP 500 (Internal Server Error)."
    )
    assert delays[3] > delays[2] > delays[1] > delays[0] >= timedelta(minutes=23)
    assert Source.objects.failing().get() == source
    assert FetchAttempt.objects.filter(source=source, outcome="error").count() == 4


def test_a_timeout_is_a_recorded_failure(source_at, short_deadlines):
    source = source_at("/slow.xml", file="feeds/rss20.xml", trickle=0.05)
    attempt = feed_poll(source=source)
    assert attempt.outcome == "error" and "took longer than" in attempt.error
    assert not Article.objects.exists()


@pytest.mark.parametrize(
    "file, content_type, message",
    [
        ("feeds/page_without_feed.html", "text/html", "not a feed"),
        ("feeds/broken_no_entries.xml", "application/xml", "broken feed with no entries"),
    ],
)
def test_not_a_feed_is_a_recorded_error(source_at, file, content_type, message):
    source = source_at("/feed", file=file, content_type=content_type)
    attempt = feed_poll(source=source)
    assert attempt.outcome == "error" and message in attempt.error
    source.refresh_from_db()
    assert message in source.last_error and source.etag == ""


def test_empty_body_is_a_recorded_error(source_at):
    attempt = feed_poll(source=source_at("/empty.xml", b""))
    assert attempt.outcome == "error" and attempt.error.startswith("empty response")


def test_broken_feed_with_entries_is_ingested_with_the_warning_recorded(source_at):
    attempt = feed_poll(source=source_at("/feed.xml", file="feeds/broken_with_entries.xml"))
    assert attempt.outcome == "ok" and attempt.entries_new == 2 and "broken but readable" in attempt.error


def test_hostile_fixtures_store_safely(source_at):
    for name in ["nul_bytes.xml", "invalid_utf8.xml", "dangerous_urls.xml", "impossible_dates.xml", "xxe.xml"]:
        feed_poll(source=source_at(f"/{name}", file=f"feeds/{name}"))
    assert FetchAttempt.objects.filter(outcome="ok").count() == 5
    for article in Article.objects.all():
        assert "\x00" not in article.title + article.body_html
        assert article.url.startswith("http") and "javascript" not in article.body_html.lower()
        assert article.published_at <= article.fetched_at


def test_json_feed_is_polled_like_any_other(source_at):
    attempt = feed_poll(source=source_at("/feed.json", file="feeds/jsonfeed11.json"))
    assert attempt.entries_new == 2
    otters = Article.objects.get(guid="fn-2001")
    assert otters.image_url.endswith("/photos/otter.jpg")
    assert list(otters.labels.values_list("name", flat=True)) == ["rivers", "wildlife"]


@pytest.mark.parametrize(
    "name, content_type, new",
    [
        ("rss091.xml", "application/rss+xml", 2),
        ("rss10.rdf", "application/rdf+xml", 2),
        ("rss20.xml", "application/rss+xml", 3),
        ("atom03.xml", "application/atom+xml", 1),
        ("atom10.xml", "application/atom+xml", 2),
        ("jsonfeed10.json", "application/json", 2),
        ("jsonfeed11.json", "application/feed+json", 2),
        ("billion_laughs.xml", "application/xml", 1),
        ("quadratic_blowup.xml", "application/xml", 1),
        ("xxe.xml", "application/xml", 1),
        ("external_dtd.xml", "application/xml", 1),
        ("invalid_utf8.xml", "application/xml", 1),
        ("lying_charset.xml", "application/xml; charset=iso-8859-1", 1),
        ("nul_bytes.xml", "application/xml", 1),
        ("impossible_dates.xml", "application/xml", 7),
        ("dangerous_urls.xml", "application/xml", 3),
        ("duplicate_guids.xml", "application/xml", 3),
        ("missing_guids.xml", "application/xml", 2),
    ],
)
def test_every_fixture_served_over_http_is_polled_to_a_recorded_outcome(source_at, name, content_type, new):
    source = source_at(f"/{name}", file=f"feeds/{name}", content_type=content_type)
    attempt = feed_poll(source=source)
    assert (attempt.outcome, attempt.entries_new) == ("ok", new)
    assert attempt.duration_ms < 1000
    assert all(len(article.body_html) < 10_000 for article in Article.objects.all())


def refuse_with_data_error(**_kwargs):
    """A real DataError from PostgreSQL, raised where the poll stores its entries."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 'not a number'::integer")


def refuse_with_integrity_error(*, source, **_kwargs):
    """A real IntegrityError (a second source with the same slug) where the poll stores its entries."""
    SourceFactory(slug=source.slug)


@pytest.mark.postgres
@pytest.mark.parametrize(
    "store, name, detail",
    [
        (refuse_with_data_error, "DataError", "invalid input syntax for type integer"),
        (refuse_with_integrity_error, "IntegrityError", "duplicate key value"),
    ],
)
def test_a_database_error_is_a_recorded_failure_shown_to_editors(source_at, monkeypatch, caplog, store, name, detail):
    source = source_at("/feed.xml", file="feeds/rss20.xml")
    monkeypatch.setattr(store_module, "store_entries", store)
    with caplog.at_level(logging.ERROR, logger="feeds.poll"):
        attempt = feed_poll(source=source)
    assert attempt.outcome == "error" and attempt.http_status == 200
    assert attempt.error.startswith("The database refused this poll's data, so nothing from it was stored")
    assert f"({name}: " in attempt.error and detail in attempt.error and "\n" not in attempt.error
    source.refresh_from_db()
    assert source.last_error == attempt.error and source.consecutive_failures == 1
    assert source.next_poll_at > attempt.started_at
    assert FetchAttempt.objects.get(source=source) == attempt
    assert not Article.objects.exists() and Source.objects.count() == 1
    assert [type(record.exc_info[1]).__name__ for record in caplog.records if record.exc_info] == [name]


def test_a_lost_database_is_raised_for_the_task_to_retry_and_not_recorded(source_at, monkeypatch):
    source = source_at("/feed.xml", file="feeds/rss20.xml")

    def lose_the_database(**_kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(store_module, "store_entries", lose_the_database)
    with pytest.raises(OperationalError):
        feed_poll(source=source)
    assert not FetchAttempt.objects.exists() and not Article.objects.exists()
