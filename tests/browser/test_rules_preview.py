"""The rules flow in Chromium: changed rules are previewed on the stored posts, Cancel changes nothing, Apply saves
them and runs them (in-process here, as without Redis), and the source's page shows the run's progress."""

import pytest

from articles.models import Article
from feeds.models import Source
from tests.browser.test_desk_lists import _log_in
from tests.factories import ArticleFactory, SourceFactory

pytestmark = [pytest.mark.browser, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_preview_then_cancel_then_apply(browser, live_server, client, console_watch):
    source = SourceFactory(name="Gazette")
    ArticleFactory(source=source, title="Cup final tonight", body_html="<p>Sport.</p>")
    ArticleFactory(source=source, title="Harbour wall approved", body_html="<p>Council.</p>")
    page = console_watch.attach(_log_in(browser, live_server, client))
    change_url = f"{live_server.url}/admin/feeds/source/{source.pk}/change/"

    page.goto(change_url)
    page.get_by_label("Block rules").fill("sport")
    page.get_by_role("button", name="Save", exact=True).click()
    page.get_by_role("heading", name="Would be hidden (1)").wait_for()
    assert "Cup final tonight" in page.locator("#content-main").inner_text()
    page.get_by_role("link", name="Cancel").click()
    page.wait_for_url(change_url)
    assert page.get_by_label("Block rules").input_value() == ""
    assert Source.objects.get(pk=source.pk).block_rules == ""

    page.get_by_label("Block rules").fill("sport\ntitle:quiz")
    page.get_by_role("button", name="Save", exact=True).click()
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url("**/admin/feeds/source/")
    assert "being applied to 2 stored posts" in page.locator(".messagelist").inner_text()
    page.goto(change_url)
    progress = page.locator("#rules-progress").inner_text()
    assert "Done" in progress and "2 of 2 posts checked, 1 hidden" in progress
    assert Article.objects.get(title="Cup final tonight").status == "hidden"
    # Both lines came through the preview's hidden copy of the form.
    assert Source.objects.get(pk=source.pk).block_rules.splitlines() == ["sport", "title:quiz"]
    assert console_watch.problems == []
