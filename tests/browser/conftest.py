from pathlib import Path

import pytest

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


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
