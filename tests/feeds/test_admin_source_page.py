"""A source's own page at the desk: its buttons, a changed feed URL, deleting, and the History of what was done."""

from datetime import timedelta

import pytest
from django.contrib.admin.models import LogEntry
from django.utils import timezone

from articles.models import Article
from feeds.models import FetchAttempt, Source
from tests.factories import ArticleFactory, FetchAttemptFactory, SourceFactory
from tests.operations.desk import action, editor_client

pytestmark = pytest.mark.django_db
SOURCES = "/admin/feeds/source/"


def _change_data(source: Source, **changes) -> dict:
    data = {
        "name": source.name,
        "slug": source.slug,
        "feed_url": source.feed_url,
        "site_url": source.site_url,
        "is_active": "on" if source.is_active else "",
        "poll_interval_minutes": source.poll_interval_minutes or "",
        "disabled_reason": source.disabled_reason,
        "priority": source.priority,
    }
    return {**data, **changes}


def test_the_source_page_has_poll_now_reset_backoff_disable_and_view_on_site(client, feed_server):
    url = feed_server.serve("/feed.xml", file="feeds/rss20.xml")
    later = timezone.now() + timedelta(hours=6)
    source = Source.objects.create(
        name="Gazette", slug="gazette", feed_url=url, consecutive_failures=4, next_poll_at=later
    )
    editor = editor_client(client)
    page = editor.get(f"{SOURCES}{source.pk}/change/").content.decode()
    tools = page[page.index('<ul class="object-tools">') : page.index("</ul>", page.index('<ul class="object-tools">'))]
    for label in ("Poll now", "Reset backoff", "Disable", "History", "View on site"):
        assert label in tools, label
    assert 'href="/source/gazette/"' in tools or "/r/" in tools

    response = editor.post(f"{SOURCES}{source.pk}/reset-backoff/", follow=True)
    assert response.redirect_chain[-1][0] == f"{SOURCES}{source.pk}/change/"
    assert "Backoff reset for 1 source" in response.content.decode()
    source.refresh_from_db()
    assert source.consecutive_failures == 0 and Source.objects.due().filter(pk=source.pk).exists()

    response = editor.post(f"{SOURCES}{source.pk}/poll/", follow=True)
    assert "Gazette: polled, 3 new, 0 updated." in response.content.decode()
    assert Article.objects.filter(source=source).count() == 3

    editor.post(f"{SOURCES}{source.pk}/disable/")
    source.refresh_from_db()
    assert not source.is_active
    page = editor.get(f"{SOURCES}{source.pk}/change/").content.decode()
    assert "Enable" in page and "Poll now" not in page
    assert editor.get(f"{SOURCES}{source.pk}/poll/").status_code == 405  # a button, never a link


def test_an_editor_deleting_a_polled_source_is_offered_disable_instead_of_a_dead_end(client):
    source = SourceFactory(name="Old Wire")
    FetchAttemptFactory(source=source)
    ArticleFactory(source=source)
    editor = editor_client(client)
    page = editor.get(f"{SOURCES}{source.pk}/delete/").content.decode()
    assert "Only an administrator can do that" in page
    assert "fetch attempt" not in page
    assert f'action="{SOURCES}{source.pk}/disable/"' in page
    editor.post(f"{SOURCES}{source.pk}/disable/")
    source.refresh_from_db()
    assert not source.is_active and Article.objects.filter(source=source).exists()
    bulk = editor.post(SOURCES, {"action": "delete_selected", "_selected_action": [source.pk]}).content.decode()
    assert "Only an administrator can do that" in bulk and "Disable selected sources" in bulk
    assert Source.objects.filter(pk=source.pk).exists()


def test_an_administrator_can_delete_a_polled_source(admin_client):
    source = SourceFactory()
    FetchAttemptFactory(source=source)
    response = admin_client.post(f"{SOURCES}{source.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302 and not Source.objects.exists()


def test_a_changed_feed_url_is_checked_and_starts_afresh(client, feed_server):
    old = feed_server.serve("/old.xml", status=500)
    new = feed_server.serve("/feed.xml", file="feeds/rss20.xml")
    later = timezone.now() + timedelta(hours=12)
    source = Source.objects.create(
        name="Gazette",
        slug="gazette",
        feed_url=old,
        consecutive_failures=6,
        next_poll_at=later,
        last_error="The feed answered HTTP 500.",
        etag='"old"',
    )
    editor = editor_client(client)
    refused = editor.post(f"{SOURCES}{source.pk}/change/", _change_data(source, feed_url=feed_server.url("/nothing")))
    assert refused.status_code == 200
    assert "There is nothing at this address (the site answered 404 Not Found)" in refused.content.decode()
    source.refresh_from_db()
    assert source.feed_url == old

    saved = editor.post(f"{SOURCES}{source.pk}/change/", _change_data(source, feed_url=new))
    assert saved.status_code == 302, saved.content.decode()
    source.refresh_from_db()
    assert (source.feed_url, source.previous_feed_url) == (new, old)
    assert (source.consecutive_failures, source.last_error, source.etag) == (0, "", "")
    assert Source.objects.due().filter(pk=source.pk).exists()


def test_an_unchanged_feed_url_is_not_fetched_on_save(client, feed_server):
    url = feed_server.serve("/feed.xml", file="feeds/rss20.xml")
    source = Source.objects.create(name="Gazette", slug="gazette", feed_url=url)
    response = editor_client(client).post(f"{SOURCES}{source.pk}/change/", _change_data(source, name="The Gazette"))
    assert response.status_code == 302
    assert feed_server.hits("/feed.xml") == []


def test_source_actions_are_recorded_in_each_sources_history(client):
    sources = SourceFactory.create_batch(2, is_active=False)
    editor = editor_client(client)
    action(editor, SOURCES, "enable", sources)
    action(editor, SOURCES, "reset_backoff", sources[:1])
    entries = LogEntry.objects.filter(object_id=str(sources[0].pk)).order_by("action_time")
    assert [entry.change_message for entry in entries] == ["Enabled.", "Backoff reset."]
    assert {entry.user.username for entry in entries} == {"editor"}
    history = editor.get(f"{SOURCES}{sources[0].pk}/history/").content.decode()
    assert "Enabled." in history and "Backoff reset." in history and "editor" in history
    assert not FetchAttempt.objects.exists()
