"""The desk's lists at 1280 px: every default column fits, and titles stay readable."""

import pytest
from django.contrib.auth import get_user_model

from tests.factories import ArticleFactory, CommentFactory, SourceFactory
from tests.operations.desk import editor_client

pytestmark = [pytest.mark.browser, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

LONG_TITLE = "Harbour council approves the new ferry timetable after months of complaints from island commuters"
LONG_ERROR = "The connection to feeds.example.com failed: [Errno 111] Connection refused by the upstream server."


def _desk_site():
    for number in range(3):
        source = SourceFactory(name=f"Regional Newspaper Group number {number}", consecutive_failures=number)
        source.last_error = LONG_ERROR if number else ""
        source.save()
        for _ in range(4):
            post = ArticleFactory(source=source, title=LONG_TITLE)
            CommentFactory(article=post)


def _log_in(browser, live_server, client):
    editor_client(client, "maria")
    user = get_user_model().objects.get(username="maria")
    user.set_password("a-long-editor-password")
    user.save()
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.goto(live_server.url + "/admin/login/")
    page.get_by_label("Username").fill("maria")
    page.get_by_label("Password").fill("a-long-editor-password")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/admin/")
    return page


def _fits(page) -> tuple[int, int]:
    return page.evaluate(
        "() => [document.querySelector('#result_list').scrollWidth,"
        " document.querySelector('#changelist .results').clientWidth]"
    )


@pytest.mark.parametrize(("name", "url"), [("posts", "/admin/articles/article/"), ("sources", "/admin/feeds/source/")])
def test_default_columns_fit_at_1280_px_and_long_titles_take_at_most_three_lines(
    browser, live_server, client, screenshot_dir, name, url
):
    _desk_site()
    page = _log_in(browser, live_server, client)
    page.goto(live_server.url + url)
    table_width, room = _fits(page)
    page.screenshot(path=screenshot_dir / f"after-12-{name}-list.png")
    assert table_width <= room, f"{name} list is {table_width} px wide in {room} px"
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    link = page.locator("#result_list tbody tr").first.locator("th a")
    assert link.evaluate("node => node.getClientRects().length") <= 3, "a 98-character title takes over 3 lines"
