"""An automated accessibility audit: axe-core (pinned in package-lock.json) in Debian's Chromium against the live
server, on the reader's pages, a comment with errors, the editors' desk and source list, in light and dark mode."""

from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from tests.factories import ArticleFactory, CommentFactory, LabelFactory, SourceFactory

pytestmark = [pytest.mark.browser, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = ("serious", "critical")
RUN_AXE = """
async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map((n) => n.target.join(' ')).slice(0, 5),
  }));
}
"""


@pytest.fixture
def axe_source():
    if not AXE.exists():
        pytest.skip("axe-core is not installed: scripts/install-axe (npm ci) installs it from package-lock.json")
    return AXE.read_text(encoding="utf-8")


def _site():
    post = ArticleFactory(title="Harbour bypass plans go on show", body_html="<p>Plans for the bypass.</p>")
    post.labels.add(LabelFactory(name="Transport"))
    ArticleFactory.create_batch(3)
    CommentFactory(article=post, status="approved", body="A fine plan.")
    now = timezone.now()
    SourceFactory(name="Healthy source", last_success_at=now)
    SourceFactory(name="Failing source", last_success_at=now, consecutive_failures=3)
    SourceFactory(name="Disabled source", is_active=False)
    SourceFactory(name="New source")
    User.objects.create_superuser("chief", password="a-long-chief-password")
    return post


def _audit(page, axe_source: str, name: str) -> list[str]:
    page.evaluate(axe_source)  # through the DevTools protocol, which our CSP (no inline script) does not block
    return [
        f"{name}: {v['impact']} {v['id']} ({v['help']}) at {', '.join(v['targets'])}"
        for v in page.evaluate(RUN_AXE)
        if v["impact"] in BLOCKING
    ]


def _comment_with_errors(page, live_server, post):
    page.goto(live_server.url + post.get_absolute_url())
    page.get_by_label("Name").fill("   ")  # passes the browser's own check, not the server's
    page.get_by_label("Comment", exact=True).fill("No name given.")
    page.get_by_role("button", name="Post comment").click()
    page.locator(".form-problem").wait_for()


def _log_in(page, live_server):
    page.goto(live_server.url + "/admin/login/")
    page.get_by_label("Username").fill("chief")
    page.get_by_label("Password").fill("a-long-chief-password")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/admin/")


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_reader_pages_a_comment_error_and_the_source_list_have_no_serious_or_critical_violations(
    browser, live_server, axe_source, scheme
):
    post = _site()
    context = browser.new_context(viewport={"width": 1280, "height": 900}, color_scheme=scheme)
    page = context.new_page()
    problems = []
    for name, path in (("home", "/"), ("post", post.get_absolute_url()), ("search", "/search?q=harbour")):
        page.goto(live_server.url + path)
        problems += _audit(page, axe_source, name)
    _comment_with_errors(page, live_server, post)
    assert page.locator("#id_author_name").get_attribute("aria-invalid") == "true"
    problems += _audit(page, axe_source, "comment error")
    _log_in(page, live_server)
    problems += _audit(page, axe_source, "admin desk")
    page.goto(live_server.url + "/admin/feeds/source/")
    problems += _audit(page, axe_source, "admin source list")
    context.close()
    assert not problems, f"{scheme} mode:\n" + "\n".join(problems)
