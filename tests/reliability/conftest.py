import pytest

from tests.feeds.feedserver import FeedServer
from tests.reliability.hostile_feeds import hostile_feeds


@pytest.fixture
def hostile_feed_urls():
    """The XSS corpus in six feeds (RSS escaped/CDATA/content:encoded, Atom html/xhtml, JSON Feed) on loopback."""
    server = FeedServer().start()
    feeds = hostile_feeds(server.url("/"))
    kinds = {name: "application/feed+json" if name.endswith(".json") else "application/xml" for name in feeds}
    yield {name: server.serve(f"/{name}", body, content_type=kinds[name]) for name, body in feeds.items()}
    server.stop()
