"""Content modes end to end through `pollfeeds`: full text from the article page (and when it fails), excerpts.

Also the per-host politeness of page fetches. Runs on PostgreSQL and again on SQLite (.ci/run).
"""

import pytest

from articles.models import Article
from bench.news_pages import BOILERPLATE_MARKERS, SCRIPT_MARKER, STYLE_MARKER, news_page
from feeds import politeness, republishing
from feeds.ingest.extract import visible_text
from feeds.models import ContentMode, FetchAttempt
from tests.factories import ArticleFactory, SourceFactory
from tests.feeds.rss import rss
from tests.feeds.test_republishing_rules import poll
from tests.operations.desk import editor_client

pytestmark = pytest.mark.django_db
SUMMARY = "<p>A short summary from the feed.</p>"


def full_text_source(feed_server, *links: str, mode=ContentMode.FULL_TEXT):
    items = [{"guid": f"g{n}", "title": f"Story {n}", "content": SUMMARY, "link": link} for n, link in enumerate(links)]
    return SourceFactory(feed_url=feed_server.serve("/feed.xml", rss(*items)), site_url="", content_mode=mode)


def test_full_text_stores_the_article_from_its_page_without_what_surrounds_it(feed_server):
    page = news_page(7)
    link = feed_server.serve("/story.html", page.html, content_type="text/html")
    source = full_text_source(feed_server, link)
    poll(source)
    body = Article.objects.get(source=source).body_html
    assert "short summary" not in body
    text = visible_text(body)
    for paragraph in page.article_text.split("\n")[1:4]:
        assert paragraph[:60] in text
    assert "<h2>" in body or "<ul>" in body
    for marker in (*BOILERPLATE_MARKERS, SCRIPT_MARKER, STYLE_MARKER, "<script"):
        assert marker not in body
    assert FetchAttempt.objects.get().entry_notes == ""


@pytest.mark.parametrize(
    "route, reason",
    [
        ({"status": 404}, "HTTP 404"),
        ({"body": b"<html><body><p>Subscribe to read.</p></body></html>"}, "No article found"),
        ({"body": b"<p>" + b"x" * (6 * 1024 * 1024)}, "larger than"),
    ],
    ids=["missing", "paywall", "over-5-MiB"],
)
def test_a_failing_page_keeps_the_feeds_content_and_says_why_on_the_attempt(feed_server, route, reason):
    link = feed_server.serve("/story.html", content_type="text/html", **route)
    source = full_text_source(feed_server, link)
    output = poll(source)
    assert "1 fine" in output
    assert "short summary from the feed" in Article.objects.get(source=source).body_html
    notes = FetchAttempt.objects.get().entry_notes
    assert notes.startswith("g0: full text failed, feed content kept:") and reason in notes


def test_a_host_answering_429_is_left_alone_for_its_retry_after(feed_server, settings):
    settings.FEEDS_HOST_MIN_GAP_MS = 1000  # as in production: the next page waits a second, by when the 429 is in
    politeness.limiter_reset()
    busy = feed_server.serve("/busy.html", status=429, headers={"Retry-After": "120"})
    source = full_text_source(feed_server, busy, feed_server.url("/other.html"), feed_server.url("/third.html"))
    before = len(feed_server.requests)
    poll(source)
    pages = [r.path for r in feed_server.requests[before:] if r.path != "/feed.xml"]
    notes = FetchAttempt.objects.get().entry_notes
    assert notes.count("full text failed") == 3
    # Whichever page the two slots took first, nothing is asked of the host after its 429 came back.
    assert "/busy.html" in pages and pages[pages.index("/busy.html") + 1 :] == []
    assert Article.objects.filter(source=source).count() == 3
    # The next poll, within the Retry-After, leaves the host alone altogether (the feed is on the same host).
    before = len(feed_server.requests)
    poll(source)
    assert feed_server.requests[before:] == []
    assert "asked us to slow down" in FetchAttempt.objects.order_by("-started_at").first().error


def test_excerpt_mode_stores_the_excerpt_and_a_link_to_read_on_and_our_feed_carries_it(client, feed_server):
    long_text = "<p>" + "Harbour news in many words. " * 80 + "</p>"
    items = [{"guid": "e1", "title": "Teaser", "content": long_text, "link": "https://news.example.com/e1"}]
    source = SourceFactory(
        name="Gazette", feed_url=feed_server.serve("/feed.xml", rss(*items)), content_mode=ContentMode.EXCERPT
    )
    poll(source)
    post = Article.objects.get(source=source)
    assert len(post.excerpt) <= 901 and post.excerpt in post.body_html
    assert "Continue reading at Gazette</a>" in post.body_html
    assert 'href="https://news.example.com/e1"' in post.body_html
    assert len(post.body_html) < len(long_text)
    ours = client.get("/rss.xml").content.decode()
    assert "Continue reading at Gazette" in ours and "many words. " * 40 not in ours


@pytest.mark.parametrize(
    "bodies, hint",
    [
        (["<p>Short teaser.</p>"] * 20, True),
        (["<p>" + "Long story text. " * 60 + "Read more</p>"] * 20, True),
        (["<p>" + "Long story text. " * 60 + "</p>"] * 20, False),
    ],
    ids=["short", "cut-off", "full"],
)
def test_the_source_page_says_when_a_feed_looks_summary_only(client, bodies, hint):
    source = SourceFactory()
    for body in bodies:
        ArticleFactory(source=source, body_html=body)
    page = editor_client(client).get(f"/admin/feeds/source/{source.pk}/change/").content.decode()
    assert ("Looks summary-only: try full text." in page) is hint


def test_entries_left_when_a_polls_time_for_pages_runs_out_are_taken_by_the_next_poll(feed_server, monkeypatch):
    link = feed_server.serve("/story.html", news_page(3).html, content_type="text/html")
    source = full_text_source(feed_server, link)
    monkeypatch.setattr(republishing, "FULL_TEXT_BUDGET_SECONDS", -1)
    poll(source)
    assert not Article.objects.filter(source=source).exists()
    assert "g0: left for the next poll" in FetchAttempt.objects.get().entry_notes
    monkeypatch.setattr(republishing, "FULL_TEXT_BUDGET_SECONDS", 40)
    poll(source)  # the same feed document: parsed again, not skipped as already ingested
    assert "short summary" not in Article.objects.get(source=source).body_html
