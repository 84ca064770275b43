"""What a reader sees on a phone and on a desktop: the popular widget, the attribution line, the way to our feeds."""

import pytest

from tests.articles.popularity.helpers import viewed
from tests.factories import ArticleFactory, LabelFactory, SourceFactory

pytestmark = [pytest.mark.browser, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

LONG_EXCERPT = " ".join(["The harbour office said the morning ferry will leave fifteen minutes later."] * 12)


def _site():
    source = SourceFactory(name="Harbour Town Gazette", site_url="https://gazette.example.com/")
    label = LabelFactory(name="Ferries")
    posts = [ArticleFactory(source=source, excerpt=LONG_EXCERPT) for _ in range(5)]
    for views, post in enumerate(posts, start=1):
        viewed(post, views)
    posts[0].labels.add(label)
    return posts[0]


def _snippet_heights(page) -> list[float]:
    return page.locator(".popular-post-snippet").evaluate_all("nodes => nodes.map(node => node.clientHeight)")


def _line_height(page) -> float:
    return page.locator(".popular-post-snippet").first.evaluate("node => parseFloat(getComputedStyle(node).lineHeight)")


def test_widget_snippets_are_long_on_a_desktop_and_three_lines_on_a_phone(browser, live_server, screenshot_dir):
    post = _site()
    desktop = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    desktop.goto(live_server.url + post.get_absolute_url())
    assert min(_snippet_heights(desktop)) > 8 * _line_height(desktop)
    phone = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True).new_page()
    phone.goto(live_server.url + post.get_absolute_url())
    line = _line_height(phone)
    assert max(_snippet_heights(phone)) <= 3 * line + 1
    widget = phone.locator(".popular-posts")
    assert widget.evaluate("node => node.offsetHeight") < 2.5 * 740  # was three phone screens
    widget.screenshot(path=screenshot_dir / "after-05-widget-phone.png")


def test_the_attribution_names_the_source_and_links_the_original_without_breaking_words_on_a_phone(
    browser, live_server, screenshot_dir
):
    post = _site()
    phone = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True).new_page()
    phone.goto(live_server.url + post.get_absolute_url())
    attribution = phone.locator(".attribution")
    assert attribution.inner_text() == "from Harbour Town Gazette · original article"
    original = attribution.get_by_role("link", name="original article")
    assert original.get_attribute("href") == post.url
    assert original.evaluate("node => node.getClientRects().length") == 1  # one piece: not broken across lines
    attribution.screenshot(path=screenshot_dir / "after-06-attribution-phone.png")


def test_a_reader_finds_sources_labels_and_feeds_from_the_home_page(browser, live_server, screenshot_dir):
    post = _site()
    page = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True).new_page()
    page.goto(live_server.url + "/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.get_by_role("navigation", name="Site").get_by_role("link", name="Sources & feeds").click()
    page.get_by_role("heading", name="Sources and feeds").wait_for()
    assert page.get_by_text("feed reader").first.is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path=screenshot_dir / "after-07-subscribe-phone.png", full_page=True)
    page.get_by_role("link", name="Ferries").click()
    page.wait_for_url(f"**/label/{post.labels.get().slug}/")
    assert page.get_by_role("link", name=post.title).count() >= 1
