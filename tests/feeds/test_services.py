import logging

import pytest

from articles.models import Article, Label
from feeds.models import FetchAttempt, Source
from feeds.services import feed_poll, feed_probe
from tests.factories import SourceFactory

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


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


def test_factory_sources_are_untouched_by_other_tests():
    assert SourceFactory().is_active
