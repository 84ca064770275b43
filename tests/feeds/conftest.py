import pytest

from feeds.ingest import fetch
from tests.factories import SourceFactory
from tests.feeds.feedserver import FeedServer


@pytest.fixture
def feed_server():
    """A local upstream: serve(path, file=...) puts a feed from tests/data/ at a URL."""
    server = FeedServer().start()
    yield server
    server.stop()


@pytest.fixture
def short_deadlines(monkeypatch):
    """Fetch limits small enough for tests: a 1.5 s deadline and a 64 KiB body cap."""
    limits = fetch.FetchLimits(connect_timeout=1.0, deadline=1.5, max_redirects=5, max_bytes=64 * 1024)
    monkeypatch.setattr(fetch, "DEFAULT_LIMITS", limits)
    return limits


@pytest.fixture
def source_at(feed_server):
    """source_at("/feed.xml", file="feeds/rss20.xml") -> a Source polling that local feed."""

    def make(path: str, body: bytes | None = None, **serve):
        url = feed_server.serve(path, body or b"", **serve) if serve or body is not None else feed_server.url(path)
        return SourceFactory(feed_url=url, site_url="")

    return make
