"""The walkthrough of issue 20 as a test: a reader and an editor (Editors group) in Chromium, 1280 and 360 px.

Screenshots of each step go to test-artifacts/screenshots/walkthrough-*.png.
"""

import pytest
from django.contrib.auth import get_user_model

from articles.models import Article, Comment
from feeds.models import FetchAttempt, Source
from tests.factories import ArticleFactory, SourceFactory
from tests.feeds.feedserver import FeedServer
from tests.operations.desk import editor_client

pytestmark = [pytest.mark.browser, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

PASSWORD = "a-long-editor-password"
EXCERPT = " ".join(["The morning ferry to Skerry Island will leave at a quarter past seven from Monday."] * 8)


@pytest.fixture
def upstream():
    server = FeedServer().start()
    server.serve("/feed.xml", file="feeds/rss20.xml")
    server.serve("/", file="feeds/page_with_feed.html", content_type="text/html; charset=utf-8")
    yield server
    server.stop()


def _site():
    gazette = SourceFactory(name="Harbour Town Gazette", site_url="https://gazette.example.com/")
    SourceFactory(name="Quiet Quarterly")
    for number in range(6):
        ArticleFactory(source=gazette, title=f"Harbour story {number}", excerpt=EXCERPT)
    return Article.objects.filter(source=gazette).first()


def _editor(client):
    editor_client(client, "maria")
    user = get_user_model().objects.get(username="maria")
    user.set_password(PASSWORD)
    user.save()


def _shot(page, screenshot_dir, name: str, full: bool = False):
    page.screenshot(path=screenshot_dir / f"walkthrough-{name}.png", full_page=full)


def test_a_reader_walks_through_the_site(browser, live_server, settings, screenshot_dir, console_watch):
    settings.COMMENTS_RATE_LIMIT = 1
    post = _site()
    desktop = console_watch.attach(browser.new_context(viewport={"width": 1280, "height": 900}).new_page())
    desktop.goto(live_server.url + "/")
    assert desktop.locator(".popular-posts").count() == 0  # no views yet: the home page does not list itself twice
    desktop.get_by_role("navigation", name="Site").get_by_role("link", name="Sources & feeds").click()
    assert desktop.get_by_text("feed reader").first.is_visible()
    _shot(desktop, screenshot_dir, "reader-subscribe")
    desktop.goto(f"{live_server.url}/source/{_slug('Quiet Quarterly')}/")
    assert "No posts from Quiet Quarterly yet" in desktop.locator("main").inner_text()
    assert "pollfeeds" not in desktop.content()

    desktop.goto(live_server.url + post.get_absolute_url())
    assert desktop.locator(".attribution").inner_text() == "from Harbour Town Gazette · original article"
    desktop.get_by_label("Name").fill("Ada Reader")
    desktop.get_by_label("Comment", exact=True).fill("Thanks for the timetable.")
    desktop.get_by_role("button", name="Post comment").click()
    comment = Comment.objects.get()
    desktop.wait_for_url(f"**#comment-{comment.id}")
    own = desktop.locator(f"#comment-{comment.id}")
    assert own.get_by_text("Your comment is awaiting moderation").is_visible()
    assert _in_viewport(desktop, own)
    _shot(desktop, screenshot_dir, "reader-comment-posted")

    desktop.get_by_label("Name").fill("Ada Reader")
    desktop.get_by_label("Comment", exact=True).fill("A second thought I typed with care.")
    desktop.get_by_role("button", name="Post comment").click()
    desktop.get_by_role("heading", name="Please wait a little").wait_for()
    assert desktop.get_by_label("Comment", exact=True).input_value() == "A second thought I typed with care."
    _shot(desktop, screenshot_dir, "reader-rate-limited")

    phone = console_watch.attach(browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True).new_page())
    phone.goto(live_server.url + post.get_absolute_url())
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    assert phone.locator(".popular-post-snippet").first.evaluate("node => node.clientHeight") < 80
    _shot(phone, screenshot_dir, "reader-post-phone", full=True)
    # The 429 page is the one answer that is meant to be an error.
    assert [problem for problem in console_watch.problems if "status of 429" not in problem] == []


def test_an_editor_walks_through_the_desk(browser, live_server, client, upstream, screenshot_dir, console_watch):
    post = _site()
    Comment.objects.create(article=post, author_name="Ada", body="Pending words.", ip_hash="x")
    _editor(client)
    page = console_watch.attach(browser.new_context(viewport={"width": 1280, "height": 900}).new_page())
    page.goto(live_server.url + "/admin/")
    page.get_by_label("Username").fill("maria")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/admin/")
    assert page.locator("#scheduler-missing").is_visible()  # no scheduler has run in this test
    _shot(page, screenshot_dir, "editor-dashboard", full=True)

    # Adding a source by a web page's address typed without a scheme; the page leads to its feed.
    page.goto(live_server.url + "/admin/feeds/source/add/")
    page.get_by_label("Feed URL").fill(f"{upstream.host}:{upstream.port}/")
    page.locator("input[name=_save]").click()
    page.locator("#feed-check").wait_for()
    page.locator("input[name=_save]").click()
    source = Source.objects.get(feed_url=upstream.url("/feed.xml"))

    # Its page has the buttons; Poll now says what happened.
    page.goto(f"{live_server.url}/admin/feeds/source/{source.pk}/change/")
    tools = page.locator(".object-tools")
    for label in ("Poll now", "Reset backoff", "Disable", "View on site"):
        assert tools.get_by_text(label, exact=True).count() == 1, label
    tools.get_by_role("button", name="Poll now").click()
    page.get_by_text("Harbour Town Gazette: polled, 3 new, 0 updated.").wait_for()
    _shot(page, screenshot_dir, "editor-poll-now")
    assert FetchAttempt.objects.filter(source=source).count() == 1

    # Deleting a polled source: not a dead end.
    page.goto(f"{live_server.url}/admin/feeds/source/{source.pk}/delete/")
    assert page.get_by_text("Only an administrator can do that").is_visible()
    page.get_by_role("button", name=f"Disable “{source.name}”").click()
    page.wait_for_url(f"**/admin/feeds/source/{source.pk}/change/")
    source.refresh_from_db()
    assert not source.is_active
    _shot(page, screenshot_dir, "editor-disabled-instead-of-delete")

    # The posts list fits; a bulk hide is in the post's History.
    page.goto(live_server.url + "/admin/articles/article/")
    assert page.evaluate("document.querySelector('#result_list').scrollWidth") <= page.evaluate(
        "document.querySelector('#changelist .results').clientWidth"
    )
    _shot(page, screenshot_dir, "editor-posts-list")
    page.locator("tr", has_text=post.title).locator("input.action-select").check()
    page.locator("select[name=action]").select_option("hide")
    page.locator("button[name=index]").click()
    page.get_by_text("1 post hidden.").wait_for()
    page.goto(f"{live_server.url}/admin/articles/article/{post.pk}/history/")
    assert page.get_by_text("Hidden (list action).").is_visible()
    _shot(page, screenshot_dir, "editor-history")

    # Comments: Reject exists beside spam.
    page.goto(live_server.url + "/admin/articles/comment/")
    assert page.locator("select[name=action] option[value=reject]").count() == 1

    # Users and groups are not for editors: said inside the desk, with a way back.
    page.goto(live_server.url + "/admin/auth/user/")
    assert page.get_by_role("link", name="Back to the desk").is_visible()
    _shot(page, screenshot_dir, "editor-forbidden")
    assert [problem for problem in console_watch.problems if "status of 403" not in problem] == []


def _slug(name: str) -> str:
    return Source.objects.get(name=name).slug


def _in_viewport(page, locator) -> bool:
    box = locator.bounding_box()
    return box is not None and box["y"] >= 0 and box["y"] + 40 <= page.viewport_size["height"]
