"""Adding a source (the URL is checked before saving) and polling one now, against a local feed server."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from articles.models import Article
from feeds.models import FetchAttempt, Source
from tests.newsblog.desk import action, editor_client

pytestmark = pytest.mark.django_db
ADD = "/admin/feeds/source/add/"
DEAD_URL = "http://127.0.0.1:1/feed.xml"
DATA = Path(__file__).resolve().parents[1] / "data" / "desk"
ROUTES = {
    "/feed.xml": ("application/rss+xml", (DATA / "gazette.xml").read_bytes()),
    "/index.html": ("text/html; charset=utf-8", (DATA / "gazette.html").read_bytes()),
}


class Handler(BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self):  # noqa: N802 - the name http.server calls
        Handler.hits.append(self.path)
        if self.path not in ROUTES:
            self.send_error(404)
            return
        content_type, body = ROUTES[self.path]
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def gazette():
    """Base URL of a local site serving /feed.xml (RSS, 2 entries) and /index.html (links to the feed)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    Handler.hits.clear()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def form_data(response) -> dict:
    """The add form's values as the page shows them, ready to be submitted again."""
    return {key: value for key, value in response.context["adminform"].form.data.items() if value is not None}


def test_a_good_feed_is_shown_before_saving_then_saved_without_fetching_again(client, gazette):
    editor = editor_client(client)
    check = editor.post(ADD, {"feed_url": f"{gazette}/feed.xml", "is_active": "on"})
    page = check.content.decode()
    assert check.status_code == 200
    assert "Local Gazette" in page and "2 entries" in page
    assert "save again" in page
    assert "Please correct" not in page
    assert not Source.objects.exists()
    saved = editor.post(ADD, form_data(check))
    assert saved.status_code == 302
    source = Source.objects.get()
    assert (source.name, source.slug, source.feed_url) == ("Local Gazette", "local-gazette", f"{gazette}/feed.xml")
    assert Handler.hits == ["/feed.xml"]


def test_a_web_page_offers_the_feed_it_links_to(client, gazette):
    editor = editor_client(client)
    check = editor.post(ADD, {"feed_url": f"{gazette}/index.html", "name": "The Gazette", "is_active": "on"})
    page = check.content.decode()
    assert "That address is a web page" in page
    assert f'value="{gazette}/feed.xml"' in page
    assert editor.post(ADD, form_data(check)).status_code == 302
    source = Source.objects.get()
    assert (source.name, source.feed_url) == ("The Gazette", f"{gazette}/feed.xml")


def test_a_dead_url_is_refused_with_a_plain_explanation(client):
    editor = editor_client(client)
    response = editor.post(ADD, {"feed_url": DEAD_URL, "name": "Gone", "is_active": "on"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "This address can&#x27;t be used as a feed:" in page
    assert "Traceback" not in page
    assert not Source.objects.exists()


def test_a_feed_that_is_already_a_source_is_refused_without_fetching(client, gazette):
    Source.objects.create(name="Gazette", slug="gazette", feed_url=f"{gazette}/feed.xml")
    editor = editor_client(client)
    page = editor.post(ADD, {"feed_url": f"{gazette}/feed.xml", "is_active": "on"}).content.decode()
    assert "This feed is already a source: Gazette." in page
    assert Handler.hits == []


def test_poll_now_really_polls_the_feed(client, gazette, django_capture_on_commit_callbacks):
    source = Source.objects.create(name="Gazette", slug="gazette", feed_url=f"{gazette}/feed.xml")
    editor = editor_client(client)
    with django_capture_on_commit_callbacks(execute=True):
        response = action(editor, "/admin/feeds/source/", "poll_now", [source])
    assert "Polling 1 source now." in response.content.decode()
    assert set(Article.objects.values_list("title", flat=True)) == {"Bridge reopens", "Market moves"}
    attempt = FetchAttempt.objects.get(source=source)
    assert (attempt.outcome, attempt.http_status, attempt.entries_new) == ("ok", 200, 2)
    source.refresh_from_db()
    assert source.last_success_at is not None
