"""A reader's visit end to end, in a real browser against a live server on PostgreSQL."""

import pytest
from django.contrib.auth.models import Permission, User

from articles.models import Comment
from tests.factories import ArticleFactory, LabelFactory, SourceFactory

pytestmark = [pytest.mark.browser, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ORIGINAL_URL = "https://www.dawn.com/news/1829561/xi-tells-blinken"
BODY = (
    "<p>Chinese President Xi Jinping on Friday told top US diplomat Antony Blinken that the world’s two biggest "
    "economies should be “partners, not rivals”.</p><p>Blinken, in China for the second time in less than a year, "
    "met leading Chinese politicians in Beijing.</p><blockquote>The two countries should be partners.</blockquote>"
)


def _site():
    dawn = SourceFactory(name="The Dawn News - Home", site_url="https://www.dawn.com/")
    label = LabelFactory(name="World")
    ArticleFactory.create_batch(4, source=SourceFactory(name="Reuters World"))
    post = ArticleFactory(
        source=dawn,
        title="Xi tells Blinken US and China should be ‘partners, not rivals’",
        url=ORIGINAL_URL,
        author="AFP",
        body_html=BODY,
        excerpt="Chinese President Xi Jinping on Friday told top US diplomat Antony Blinken that the world’s two "
        "biggest economies should be partners, not rivals.",
        is_featured=True,
    )
    post.labels.add(label)
    return post


def _editor():
    editor = User.objects.create_user("editor", password="a-long-editor-password", is_staff=True)
    codenames = ["view_comment", "change_comment"]
    editor.user_permissions.set(Permission.objects.filter(content_type__app_label="articles", codename__in=codenames))
    return editor


def _check_security_headers(response):
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response.headers["x-frame-options"] == "DENY"


def test_read_comment_and_see_it_approved(browser, live_server, screenshot_dir, console_watch):
    post = _site()
    _editor()
    reader = browser.new_context(viewport={"width": 1280, "height": 900})
    page = console_watch.attach(reader.new_page())

    response = page.goto(live_server.url + "/")
    _check_security_headers(response)
    page.screenshot(path=screenshot_dir / "home-desktop.png", full_page=True)
    page.get_by_role("main").get_by_role("link", name=post.title).click()
    page.wait_for_url("**" + post.get_absolute_url())
    attribution = page.locator(".attribution")
    assert attribution.get_by_role("link", name="original article").get_attribute("href") == ORIGINAL_URL
    assert attribution.get_by_role("link", name="The Dawn News - Home").get_attribute("href") == "https://www.dawn.com/"
    assert attribution.inner_text() == "from The Dawn News - Home · original article"
    page.screenshot(path=screenshot_dir / "post-desktop.png", full_page=True)

    page.get_by_label("Name").fill("Ada Reader")
    page.get_by_label("Comment", exact=True).fill("Thanks for the link.\n\nMore at https://example.org/more")
    page.get_by_role("button", name="Post comment").click()
    page.get_by_text("Your comment is awaiting moderation").wait_for()
    comment = Comment.objects.get()
    assert page.url.endswith(f"{post.get_absolute_url()}#comment-{comment.id}")
    own = page.locator(f"#comment-{comment.id}")
    assert own.is_visible() and own.get_by_text("awaiting moderation").is_visible()
    assert "Thanks for the link." in own.inner_text()
    assert comment.status == Comment.Status.PENDING and comment.ip_hash and "127.0.0.1" not in comment.ip_hash

    _approve_as_editor(browser, live_server, comment, console_watch)

    page.goto(live_server.url + post.get_absolute_url())
    comment_block = page.locator(f"#comment-{comment.id}")
    assert "Thanks for the link." in comment_block.inner_text()
    link = comment_block.get_by_role("link", name="https://example.org/more")
    assert link.get_attribute("rel") == "nofollow ugc"
    assert page.get_by_role("heading", name="1 comment").is_visible()
    reader.close()

    _phone_screenshots(browser, live_server, post, screenshot_dir, console_watch)
    assert console_watch.problems == []


def _approve_as_editor(browser, live_server, comment, console_watch):
    """The stock admin change form: log in, set the status to Approved, save."""
    editor = browser.new_context(viewport={"width": 1280, "height": 900})
    page = console_watch.attach(editor.new_page())
    page.goto(f"{live_server.url}/admin/articles/comment/{comment.id}/change/")
    page.get_by_label("Username").fill("editor")
    page.get_by_label("Password").fill("a-long-editor-password")
    page.get_by_role("button", name="Log in").click()
    page.get_by_label("Status").select_option(label="Approved")
    page.locator("input[name=_save]").click()
    page.wait_for_url("**/admin/articles/comment/**")
    comment.refresh_from_db()
    assert comment.status == Comment.Status.APPROVED
    editor.close()


def _phone_screenshots(browser, live_server, post, screenshot_dir, console_watch):
    """At 360 px nothing may be wider than the screen; in dark mode the page follows the system."""
    for scheme in ("light", "dark"):
        phone = browser.new_context(viewport={"width": 360, "height": 740}, color_scheme=scheme, is_mobile=True)
        page = console_watch.attach(phone.new_page())
        suffix = "" if scheme == "light" else "-dark"
        for name, path in (("home", "/"), ("post", post.get_absolute_url())):
            page.goto(live_server.url + path)
            assert page.evaluate("document.documentElement.scrollWidth") <= 360, (name, scheme)
            page.screenshot(path=screenshot_dir / f"{name}-phone{suffix}.png", full_page=True)
        phone.close()
