import shutil

import pytest
from django.db import connections

from tests.services import IN_CI, require

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(autouse=True)
def _require_services(request):
    """Tests marked postgres or redis need the real service: skipped without it, failed in CI."""
    for marker in ("postgres", "redis"):
        if request.node.get_closest_marker(marker):
            require(marker)


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Each test starts with an empty cache, so counters and cached pages never leak between tests; and with no
    host paused or spaced out (Redis: flushed with the cache; in-process: a new limiter)."""
    from django.core.cache import cache

    from feeds import politeness

    cache.clear()
    politeness.limiter_reset()
    yield
    politeness.limiter_reset()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """In CI a skipped test is a failed test: everything must run there."""
    outcome = yield
    report = outcome.get_result()
    if IN_CI and report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.outcome = "failed"
        report.longrepr = f"skipped in CI, where every test must run: {reason}"


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
