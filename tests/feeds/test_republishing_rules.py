"""Republishing rules end to end: keep/block rules and review mode through `pollfeeds`, and at the desk.

Runs on PostgreSQL in the suite and again on SQLite in .ci/run's embedded-default pass.
"""

from io import StringIO

import pytest
from django.core.management import call_command

from articles.models import Article
from feeds.models import PublishMode, Source
from tests.factories import SourceFactory
from tests.feeds.rss import rss
from tests.feeds.test_admin_source_page import _change_data as source_change_data
from tests.operations.desk import action, editor_client

pytestmark = pytest.mark.django_db
POSTS = "/admin/articles/article/"
SOURCES = "/admin/feeds/source/"

ITEMS = [
    {"guid": "a", "title": "Harbour wall approved", "content": "<p>The council voted.</p>", "author": "Mara"},
    {"guid": "b", "title": "Cup final tonight", "content": "<p>Sport news.</p>", "categories": ["Sport"]},
    {"guid": "c", "title": "Harbour cafe opens", "content": "<p>Sponsored content for a cafe.</p>"},
    {"guid": "d", "title": "Weather", "content": "<p>Rain.</p>"},
]


def poll(source: Source) -> str:
    out = StringIO()
    call_command("pollfeeds", "--source", str(source.pk), stdout=out, stderr=StringIO())
    return out.getvalue()


def stored(source: Source) -> dict[str, str]:
    return dict(Article.objects.filter(source=source).values_list("guid", "status"))


@pytest.fixture
def feed_source(feed_server):
    def make(*items, **fields) -> Source:
        url = feed_server.serve("/feed.xml", rss(*(items or ITEMS)))
        return SourceFactory(feed_url=url, site_url="", **fields)

    return make


def test_keep_and_block_rules_decide_what_a_poll_takes(feed_source):
    source = feed_source(keep_rules="harbour\ncategory:sport", block_rules="sponsored")
    poll(source)
    assert stored(source) == {"a": "published", "b": "published"}


def test_without_rules_every_entry_is_taken_as_before(feed_source):
    source = feed_source()
    poll(source)
    assert set(stored(source)) == {"a", "b", "c", "d"}


def test_a_rule_the_engine_refuses_is_skipped_and_reported_on_the_source(feed_source):
    # Stored without the admin form (a shell, an import): the poll must not fail over it.
    source = feed_source(keep_rules="re:harbour (wall\ntitle:weather")
    output = poll(source)
    assert "1 fine" in output
    assert stored(source) == {"d": "published"}
    source.refresh_from_db()
    assert source.rules_error == "keep rule re:harbour (wall: missing ): harbour (wall"


def test_the_source_page_refuses_an_invalid_pattern_with_the_engines_message(client, feed_source):
    source = feed_source()
    editor = editor_client(client)
    page = editor.post(f"{SOURCES}{source.pk}/change/", _change_data(source, block_rules="re:a(\nsport"))
    assert page.status_code == 200
    assert "Not a valid rule, line 1 (re:a(): missing ): a(" in page.content.decode()
    source.refresh_from_db()
    assert source.block_rules == ""


def test_changed_rules_reach_the_next_poll_of_an_unchanged_feed(client, feed_source):
    source = feed_source(keep_rules="title:weather\nre:(")
    poll(source)
    assert set(stored(source)) == {"d"}
    editor = editor_client(client)
    data = _change_data(source, keep_rules="harbour", _apply_rules="1")
    assert editor.post(f"{SOURCES}{source.pk}/change/", data).status_code == 302
    poll(source)
    assert set(stored(source)) == {"a", "c", "d"}
    source.refresh_from_db()
    assert source.rules_error == ""  # the refused rule is gone, and so is its report


def _change_data(source: Source, **changes) -> dict:
    rules = {name: getattr(source, name) for name in ("keep_rules", "block_rules", "publish_mode")}
    return source_change_data(source, **{**rules, **changes})


def test_review_mode_stores_new_posts_pending_and_off_the_site(client, feed_source):
    source = feed_source(publish_mode=PublishMode.REVIEW)
    poll(source)
    assert set(stored(source).values()) == {"pending"}
    post = Article.objects.get(source=source, guid="a")
    assert client.get(post.get_absolute_url()).status_code == 404
    assert "Harbour wall approved" not in client.get("/").content.decode()


def test_editors_publish_and_reject_pending_posts_and_the_index_counts_them(client, feed_source):
    source = feed_source(publish_mode=PublishMode.REVIEW)
    poll(source)
    editor = editor_client(client)
    index = editor.get("/admin/").content.decode()
    assert "<strong>4</strong>" in index and "posts pending review" in index
    queue = editor.get(POSTS, {"status__exact": "pending"}).content.decode()
    assert "Pending review" in queue and "Harbour wall approved" in queue

    a, b = Article.objects.filter(source=source, guid__in=["a", "b"]).order_by("guid")
    action(editor, POSTS, "publish", [a])
    action(editor, POSTS, "reject", [b])
    assert stored(source) == {"a": "published", "b": "rejected", "c": "pending", "d": "pending"}
    b.refresh_from_db()
    assert (b.decision, b.decided_by.username) == ("rejected", "editor") and b.decided_at is not None
    client.logout()
    assert client.get(a.get_absolute_url()).status_code == 200
    assert client.get(b.get_absolute_url()).status_code == 404


def test_a_rejected_post_stays_rejected_when_the_feed_repeats_or_changes_it(feed_server, feed_source):
    source = feed_source(publish_mode=PublishMode.REVIEW)
    poll(source)
    Article.objects.filter(source=source, guid="b").update(status=Article.Status.REJECTED, decision="rejected")
    source.publish_mode = PublishMode.PUBLISH
    source.save()
    changed = [{**item, "content": "<p>Changed upstream.</p>"} if item["guid"] == "b" else item for item in ITEMS]
    feed_server.serve("/feed.xml", rss(*changed))
    poll(source)
    assert stored(source)["b"] == "rejected"
    assert Article.objects.filter(source=source).count() == 4
