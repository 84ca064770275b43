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


@pytest.fixture(scope="session")
def chromium():
    """Debian's Chromium driven by Playwright (never a downloaded browser)."""
    import os
    from pathlib import Path

    if not Path("/usr/bin/chromium").exists():
        pytest.skip("Chromium is not installed at /usr/bin/chromium (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop in this thread; the ORM calls in the test are still synchronous.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()
