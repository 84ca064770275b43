import shutil
from pathlib import Path

import pytest
from django.db import connections

CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


@pytest.fixture
def browser(monkeypatch):
    """Debian's Chromium driven by Playwright; skipped (a failure in CI) when it is not installed."""
    if not shutil.which(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is missing: apt-get install chromium (scripts/install-chromium)")
    # Playwright's sync API runs an event loop; the test's own ORM calls happen between its steps.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
        )
        yield chromium
        chromium.close()
        # ORM calls made while Playwright's loop runs get connections of their own; close them here.
        connections.close_all()


@pytest.fixture
def screenshot_dir():
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


class ConsoleWatch:
    """Collects console errors, page errors and CSP violations from every page of a browser context."""

    def __init__(self):
        self.problems: list[str] = []

    def attach(self, page):
        page.on("console", lambda message: self._console(message))
        page.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))
        return page

    def _console(self, message):
        if message.type == "error" or "Content Security Policy" in message.text:
            self.problems.append(f"console {message.type}: {message.text} at {message.location.get('url')}")


@pytest.fixture
def console_watch():
    return ConsoleWatch()
