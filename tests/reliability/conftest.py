import pytest

from bench.system import FeedServer
from tests.reliability.hostile_feeds import hostile_feeds


@pytest.fixture
def hostile_server():
    """The XSS corpus in six feeds (RSS escaped/CDATA/content:encoded, Atom html/xhtml, JSON Feed) on loopback."""
    server = FeedServer({})
    server.feeds.update(hostile_feeds(server.base))
    yield server
    server.close()
