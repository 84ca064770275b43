"""No entry can fail a feed: shared stories across many sources, and entries that cannot be prepared or stored."""

from datetime import UTC, datetime
from queue import Queue

import pytest
from django.db import IntegrityError

from articles.models import Article, PurgedPost
from feeds import services
from feeds.ingest import store
from feeds.models import Source
from feeds.services import feed_poll
from tests.concurrency import run_together
from tests.factories import SourceFactory
from tests.operations.desk import editor_client
from untrusted.sanitize import sanitize_html

pytestmark = pytest.mark.django_db

SHARED_STORY = """
<item><title>Harbour bridge reopens after repairs</title><guid isPermaLink="false">wire-story-77</guid>
  <link>https://wire.example.com/bridge</link><pubDate>Tue, 24 Nov 2026 08:30:00 +0000</pubDate>
  <description>&lt;p&gt;Traffic flows again.&lt;/p&gt;</description></item>"""
# Sanitizing this entry raises (see sanitizer_that_fails_on_poison): an entry that cannot be prepared.
POISONED = """
<item><title>Poisoned entry</title><guid>poison-{n}</guid><link>https://feed{n}.example.com/poison</link>
  <pubDate>Tue, 24 Nov 2026 09:00:00 +0000</pubDate><description>&lt;p&gt;POISON&lt;/p&gt;</description></item>"""
OWN_STORY = """
<item><title>Local story {n}</title><guid>own-{n}</guid><link>https://feed{n}.example.com/own</link>
  <pubDate>Mon, 23 Nov 2026 17:00:00 +0000</pubDate>
  <description>&lt;p&gt;Only in feed {n}.&lt;/p&gt;</description></item>"""


def rss(*items: str) -> str:
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>Feed</title>{"".join(items)}</channel></rss>'


@pytest.fixture
def sanitizer_that_fails_on_poison(monkeypatch):
    def sanitize(markup: str, *, base_url: str) -> str:
        if "POISON" in markup:
            raise ValueError("the sanitizer choked on this entry")
        return sanitize_html(markup, base_url=base_url)

    monkeypatch.setattr(services, "sanitize_html", sanitize)


def test_eight_sources_sharing_a_story_all_end_ok_with_their_other_entries_stored(
    feed_server, sanitizer_that_fails_on_poison
):
    sources = [
        SourceFactory(feed_url=feed_server.serve(f"/{n}.xml", rss(SHARED_STORY, OWN_STORY, POISONED).format(n=n)))
        for n in range(8)
    ]
    attempts = [feed_poll(source=source) for source in sources]

    assert [(a.outcome, a.entries_new, a.entries_skipped) for a in attempts] == [("ok", 2, 1)] * 8
    assert all("poison-" in a.error and "the sanitizer choked on this entry" in a.error for a in attempts)
    shared = Article.objects.filter(guid="wire-story-77")
    assert shared.count() == 8
    assert len(set(shared.values_list("slug", flat=True))) == 8
    assert Article.objects.filter(guid__startswith="own-").count() == 8
    assert not Article.objects.filter(guid__startswith="poison-").exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_six_sources_carrying_one_story_polled_at_the_same_moment_all_store_it(feed_server):
    waiting = Queue()
    for n in range(6):
        waiting.put(SourceFactory(feed_url=feed_server.serve(f"/{n}.xml", rss(SHARED_STORY))).pk)
    attempts, errors = run_together(lambda: feed_poll(source=Source.objects.get(pk=waiting.get())), count=6)
    assert errors == []
    assert [(a.outcome, a.entries_new, a.entries_skipped) for a in attempts] == [("ok", 1, 0)] * 6
    assert len(set(Article.objects.filter(guid="wire-story-77").values_list("slug", flat=True))) == 6


def test_a_shared_storys_slugs_stay_the_same_when_the_polls_run_again(feed_server):
    sources = [SourceFactory(feed_url=feed_server.serve(f"/{n}.xml", rss(SHARED_STORY))) for n in range(6)]
    for source in sources:
        assert feed_poll(source=source).outcome == "ok"
    slugs = dict(Article.objects.values_list("source_id", "slug"))
    assert len(set(slugs.values())) == 6
    # Everything stored goes, as after a failed transaction; storing again must give every post the same address.
    Article.objects.all().delete()
    PurgedPost.objects.all().delete()
    Source.objects.update(content_digest="")
    for source in Source.objects.order_by("pk"):
        feed_poll(source=source)
    assert dict(Article.objects.values_list("source_id", "slug")) == slugs


def test_a_skipped_entry_is_retried_by_the_next_poll_of_the_same_document(
    feed_server, sanitizer_that_fails_on_poison, monkeypatch
):
    source = SourceFactory(feed_url=feed_server.serve("/f.xml", rss(OWN_STORY, POISONED).format(n=1)))
    assert feed_poll(source=source).entries_skipped == 1
    monkeypatch.undo()
    attempt = feed_poll(source=source)
    assert (attempt.outcome, attempt.entries_new, attempt.entries_skipped) == ("ok", 1, 0)
    assert Article.objects.filter(guid="poison-1").exists()


def test_an_entry_the_database_refuses_is_skipped_and_the_rest_of_the_feed_stored(feed_server, monkeypatch):
    source = SourceFactory(feed_url=feed_server.serve("/f.xml", rss(SHARED_STORY, OWN_STORY.format(n=1))))
    real_bulk_create = Article.objects.bulk_create

    def refuse_the_shared_story(articles, **options):
        if any(article.guid == "wire-story-77" for article in articles):
            raise IntegrityError("value violates a constraint")
        return real_bulk_create(articles, **options)

    monkeypatch.setattr(Article.objects, "bulk_create", refuse_the_shared_story)
    attempt = feed_poll(source=source)
    assert (attempt.outcome, attempt.entries_new, attempt.entries_skipped) == ("ok", 1, 1)
    assert "wire-story-77" in attempt.error and "IntegrityError: value violates a constraint" in attempt.error
    assert list(Article.objects.values_list("guid", flat=True)) == ["own-1"]


def test_slugs_never_run_out_whatever_is_already_taken():
    source = SourceFactory()
    article = Article(source=source, guid="g", title="Same", url_year=2026, url_month=11)
    for slug in store._slug_options("same", source_id=source.pk, guid="g"):
        Article.objects.create(
            source=SourceFactory(), guid=slug, slug=slug, title="x", url="https://x.example/", **_november()
        )
    store._assign_slugs([article])
    assert article.slug.startswith("same-") and not Article.objects.filter(slug=article.slug).exists()


def _november() -> dict:
    return {"url_year": 2026, "url_month": 11, "published_at": datetime(2026, 11, 24, tzinfo=UTC)}


def test_editors_see_the_skipped_count_and_reason_on_the_sources_page(
    client, feed_server, sanitizer_that_fails_on_poison
):
    source = SourceFactory(feed_url=feed_server.serve("/f.xml", rss(OWN_STORY, POISONED).format(n=1)))
    feed_poll(source=source)
    page = editor_client(client).get(f"/admin/feeds/source/{source.pk}/change/").content.decode()
    table = page[page.index('<table class="recent-fetches">') : page.index("</table>", page.index("recent-fetches"))]
    assert "<th>skipped</th>" in table and "<td>1</td>" in table
    assert "1 entry skipped, the rest stored" in table and "poison-1: ValueError" in table
