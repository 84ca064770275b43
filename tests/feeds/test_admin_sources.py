"""Adding a source (the URL is checked before saving) and polling one now, against the local feed server."""

import time

import pytest

from articles.models import Article
from feeds.models import FetchAttempt, Source
from feeds.services import feed_probe
from tests.feeds.feedserver import DATA
from tests.newsblog.desk import action, editor_client

pytestmark = pytest.mark.django_db
ADD = "/admin/feeds/source/add/"
DEAD_URL = "http://127.0.0.1:1/feed.xml"


@pytest.fixture
def gazette(feed_server):
    """A local site: /feed.xml (RSS, 3 entries, "Harbour Town Gazette") and / (an HTML page linking to it)."""
    feed_server.serve("/feed.xml", file="feeds/rss20.xml")
    feed_server.serve("/", file="feeds/page_with_feed.html", content_type="text/html; charset=utf-8")
    return feed_server


def form_data(response) -> dict:
    """The add form's values as the page shows them, ready to be submitted again."""
    return {key: value for key, value in response.context["adminform"].form.data.items() if value is not None}


def test_a_good_feed_is_shown_before_saving_then_saved_without_fetching_again(client, gazette):
    editor = editor_client(client)
    check = editor.post(ADD, {"feed_url": gazette.url("/feed.xml"), "is_active": "on"})
    page = check.content.decode()
    assert check.status_code == 200
    assert "Harbour Town Gazette" in page and "3 entries" in page
    assert "save again" in page
    assert "Please correct" not in page
    assert not Source.objects.exists()
    saved = editor.post(ADD, form_data(check))
    assert saved.status_code == 302
    source = Source.objects.get()
    assert (source.name, source.slug, source.feed_url) == (
        "Harbour Town Gazette",
        "harbour-town-gazette",
        gazette.url("/feed.xml"),
    )
    assert len(gazette.hits("/feed.xml")) == 1


def test_a_web_page_offers_the_feed_it_links_to(client, gazette):
    editor = editor_client(client)
    check = editor.post(ADD, {"feed_url": gazette.url("/"), "name": "The Gazette", "is_active": "on"})
    page = check.content.decode()
    assert "That address is a web page" in page
    assert f'value="{gazette.url("/feed.xml")}"' in page
    assert editor.post(ADD, form_data(check)).status_code == 302
    source = Source.objects.get()
    assert (source.name, source.feed_url) == ("The Gazette", gazette.url("/feed.xml"))


def test_a_page_without_a_feed_is_refused_in_plain_words(client, feed_server):
    url = feed_server.serve("/about", file="feeds/page_without_feed.html", content_type="text/html")
    page = editor_client(client).post(ADD, {"feed_url": url, "is_active": "on"}).content.decode()
    assert "This is a web page that does not link to any RSS, Atom or JSON feed." in page
    assert not Source.objects.exists()


def test_a_dead_url_is_refused_with_a_plain_explanation(client):
    editor = editor_client(client)
    response = editor.post(ADD, {"feed_url": DEAD_URL, "name": "Gone", "is_active": "on"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "This address can&#x27;t be used as a feed:" in page
    assert "Traceback" not in page
    assert not Source.objects.exists()


def test_a_feed_that_is_already_a_source_is_refused_without_fetching(client, gazette):
    Source.objects.create(name="Gazette", slug="gazette", feed_url=gazette.url("/feed.xml"))
    editor = editor_client(client)
    page = editor.post(ADD, {"feed_url": gazette.url("/feed.xml"), "is_active": "on"}).content.decode()
    assert "This feed is already a source: Gazette." in page
    assert gazette.requests == []


def test_poll_now_really_polls_the_feed(client, gazette, django_capture_on_commit_callbacks):
    source = Source.objects.create(name="Gazette", slug="gazette", feed_url=gazette.url("/feed.xml"))
    editor = editor_client(client)
    with django_capture_on_commit_callbacks(execute=True):
        response = action(editor, "/admin/feeds/source/", "poll_now", [source])
    assert "Polling 1 source now." in response.content.decode()
    assert Article.objects.filter(source=source).count() == 3
    assert Article.objects.filter(title="Ferry timetable changes from Monday").exists()
    attempt = FetchAttempt.objects.get(source=source)
    assert (attempt.outcome, attempt.http_status, attempt.entries_new) == ("ok", 200, 3)
    source.refresh_from_db()
    assert source.last_success_at is not None


def test_poll_now_skips_disabled_sources_and_says_so(client, gazette, django_capture_on_commit_callbacks):
    source = Source.objects.create(name="Off", slug="off", feed_url=gazette.url("/feed.xml"), is_active=False)
    editor = editor_client(client)
    with django_capture_on_commit_callbacks(execute=True):
        page = action(editor, "/admin/feeds/source/", "poll_now", [source]).content.decode()
    assert "Polling 0 sources now" in page
    assert "1 disabled source skipped: enable it first." in page
    assert not FetchAttempt.objects.exists()


def test_a_slow_feed_is_saved_unchecked_within_the_cap_instead_of_timing_out(client, feed_server, settings):
    """The proxy in front gives up at 30 s; the check gives up first and leaves the verdict to the first poll."""
    settings.FEEDS_ADD_CHECK_SECONDS = 1
    url = feed_server.serve("/slow.xml", file="feeds/rss20.xml", trickle=0.01)  # about 20 s for the whole feed
    editor = editor_client(client)
    started = time.monotonic()
    response = editor.post(ADD, {"feed_url": url, "is_active": "on"}, follow=True)
    assert time.monotonic() - started < 2.5
    source = Source.objects.get()
    assert (source.feed_url, source.name) == (url, "127.0.0.1")
    page = response.content.decode()
    assert (
        "Saved without a check: the address did not finish answering within 1 s. "
        "The first poll will tell whether it is a feed."
    ) in page


def test_the_cap_covers_the_page_and_the_feed_it_links_to_together(feed_server):
    """Each fetch alone fits in the cap; both together do not, so the check stops at the cap."""
    page = (DATA / "feeds/page_with_feed.html").read_bytes().replace(b"/feed.xml", b"/slow.xml")
    url = feed_server.serve("/", page, content_type="text/html", trickle=0.6 / len(page))
    feed_server.serve("/slow.xml", file="feeds/rss20.xml", trickle=0.6 / 1985)
    started = time.monotonic()
    probe = feed_probe(url=url, deadline_seconds=1)
    assert time.monotonic() - started < 1.5
    assert probe.timed_out, probe
    assert probe.discovered
