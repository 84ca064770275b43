from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from articles.models import Article, Label, PurgedPost
from articles.search import search_articles
from feeds import services
from feeds.ingest import store
from feeds.models import FetchAttempt, Source
from feeds.services import feed_poll
from tests.concurrency import run_together
from tests.factories import ArticleFactory
from tests.feeds.feedserver import DATA


@pytest.mark.django_db
def test_the_same_bytes_again_are_not_even_parsed_and_count_as_not_modified(source_at, feed_server, monkeypatch):
    source = source_at("/feed.xml", file="feeds/rss20.xml", etag='"v1"')
    feed_poll(source=source)
    feed_server.serve("/feed.xml", file="feeds/rss20.xml", etag='"v2"')  # a new ETag for the very same bytes
    stamps = dict(Article.objects.values_list("guid", "updated_at"))
    parses = []
    monkeypatch.setattr("feeds.services.parse_feed", lambda *a, **k: parses.append(a))
    attempt = feed_poll(source=source)
    assert (attempt.outcome, attempt.http_status, attempt.entries_new, attempt.entries_updated) == (
        "not_modified",
        200,
        0,
        0,
    )
    assert parses == [] and dict(Article.objects.values_list("guid", "updated_at")) == stamps
    source.refresh_from_db()
    assert source.etag == '"v2"'  # the server's new validator is kept, so the next poll can be a 304


@pytest.mark.django_db
def test_a_new_build_time_or_cache_stamp_alone_is_not_parsed(source_at, feed_server, monkeypatch):
    source = source_at("/feed.xml", file="feeds/rss20.xml")
    feed_poll(source=source)
    body = (DATA / "feeds/rss20.xml").read_bytes()
    body = body.replace(b"<channel>", b"<channel><lastBuildDate>Sat, 28 Nov 2026 18:00:00 +0000</lastBuildDate>")
    feed_server.serve("/feed.xml", body + b"<!-- served from cache at 18:00:01 -->", content_type="application/rss+xml")
    parses = []
    monkeypatch.setattr("feeds.services.parse_feed", lambda *a, **k: parses.append(a))
    attempt = feed_poll(source=source)
    assert (attempt.outcome, attempt.http_status) == ("not_modified", 200) and parses == []


@pytest.mark.django_db
def test_new_bytes_with_the_same_entries_are_parsed_but_nothing_is_sanitized_or_written(
    source_at, feed_server, monkeypatch
):
    source = source_at("/feed.xml", file="feeds/rss20.xml")
    feed_poll(source=source)
    body = (DATA / "feeds/rss20.xml").read_bytes().replace(b"</item>", b"</item>\n\n")  # re-serialized
    feed_server.serve("/feed.xml", body, content_type="application/rss+xml")
    stamps = dict(Article.objects.values_list("guid", "updated_at"))
    calls = []
    monkeypatch.setattr("feeds.services.sanitize_html", lambda *a, **k: calls.append(a) or "")
    attempt = feed_poll(source=source)
    assert (attempt.outcome, attempt.entries_new, attempt.entries_updated, attempt.entries_seen) == ("ok", 0, 0, 3)
    assert calls == [] and dict(Article.objects.values_list("guid", "updated_at")) == stamps


@pytest.mark.django_db
def test_the_same_bytes_at_a_new_address_are_parsed_again(source_at, feed_server):
    feed = (
        b"<rss version='2.0'><channel><title>T</title><item><guid>1</guid><title>One</title>"
        b"<description>&lt;p&gt;&lt;a href='more.html'&gt;more&lt;/a&gt;&lt;/p&gt;</description></item></channel></rss>"
    )
    source = source_at("/old/feed.xml", feed, content_type="application/rss+xml")
    feed_poll(source=source)
    assert "/old/more.html" in Article.objects.get(guid="1").body_html
    source.feed_url = feed_server.serve("/new/feed.xml", feed, content_type="application/rss+xml")
    source.save()
    attempt = feed_poll(source=source)
    # Relative links now resolve against the new address, so the post follows it.
    assert (attempt.outcome, attempt.entries_seen, attempt.entries_updated) == ("ok", 1, 1)
    assert "/new/more.html" in Article.objects.get(guid="1").body_html


@pytest.mark.django_db
def test_an_editor_clearing_the_site_url_gets_it_filled_in_again_from_the_same_feed(source_at, admin_client):
    source = source_at("/feed.xml", file="feeds/rss20.xml")
    feed_poll(source=source)
    page = admin_client.get(f"/admin/feeds/source/{source.pk}/change/")
    form = page.context["adminform"].form
    data = {name: "" if form[name].value() is None else form[name].value() for name in form.fields}
    data.update(site_url="", is_active="on")
    assert admin_client.post(f"/admin/feeds/source/{source.pk}/change/", data).status_code == 302
    source.refresh_from_db()
    assert source.site_url == ""
    feed_poll(source=source)
    source.refresh_from_db()
    assert source.site_url == "https://gazette.example.com/"


@pytest.mark.django_db
def test_an_updated_entry_follows_upstream_but_keeps_its_date_and_public_url(source_at, feed_server):
    source = source_at("/feed.xml", file="feeds/rss20.xml")
    feed_poll(source=source)
    before = Article.objects.get(guid="gazette-1001")
    feed_server.serve("/feed.xml", file="feeds/rss20_updated.xml")
    attempt = feed_poll(source=source)
    after = Article.objects.get(guid="gazette-1001")
    assert (attempt.entries_new, attempt.entries_updated) == (0, 1)
    assert after.title == "Ferry timetable changes from Tuesday" and "7:20" in after.body_html
    assert after.excerpt.startswith("The morning ferry will leave at 7:20")
    assert (after.slug, after.url_year, after.url_month, after.published_at) == (
        before.slug,
        before.url_year,
        before.url_month,
        before.published_at,
    )
    assert after.get_absolute_url() == before.get_absolute_url()


@pytest.mark.django_db
def test_an_editor_edited_entry_keeps_the_editors_version_and_flags_the_upstream_change(source_at, feed_server):
    source = source_at("/feed.xml", file="feeds/rss20.xml")
    feed_poll(source=source)
    Article.objects.filter(guid="gazette-1001").update(title="Editor's headline", edited_by_editor=True)
    feed_server.serve("/feed.xml", file="feeds/rss20_updated.xml")
    feed_poll(source=source)
    article = Article.objects.get(guid="gazette-1001")
    assert article.title == "Editor's headline" and "7:15" in article.body_html
    assert article.upstream_changed_at is not None


@pytest.mark.django_db
def test_duplicate_guids_in_one_feed_store_once_and_same_titles_get_distinct_slugs(source_at):
    attempt = feed_poll(source=source_at("/feed.xml", file="feeds/duplicate_guids.xml"))
    assert attempt.entries_new == 3
    slugs = sorted(Article.objects.filter(title="Same title").values_list("slug", flat=True))
    assert slugs[0] == "same-title" and slugs[1].startswith("same-title-") and len(set(slugs)) == 2


@pytest.mark.django_db
def test_entries_without_guid_are_stable_across_polls(source_at):
    source = source_at("/feed.xml", file="feeds/missing_guids.xml")
    feed_poll(source=source)
    feed_poll(source=source)
    assert Article.objects.count() == 2


@pytest.mark.django_db
def test_same_title_from_another_source_in_the_same_month_gets_its_own_slug(source_at):
    ArticleFactory(title="x", slug="ferry-timetable-changes-from-monday", url_year=2026, url_month=11)
    feed_poll(source=source_at("/feed.xml", file="feeds/rss20.xml"))
    assert Article.objects.get(guid="gazette-1001").slug.startswith("ferry-timetable-changes-from-monday-")


@pytest.mark.django_db
def test_labels_are_normalised_and_slug_collisions_handled():
    labels = store.labels_for({store.normalise_label("  C++ "), store.normalise_label("c"), "c#"})
    assert sorted((label.name, label.slug) for label in labels.values()) == [("c", "c"), ("c#", "c-2"), ("c++", "c-3")]
    assert store.labels_for({"c++"})["c++"].pk == labels["c++"].pk
    assert Label.objects.count() == 3


@pytest.mark.django_db
def test_a_crash_mid_poll_leaves_the_database_as_before_and_the_next_poll_restores_everything(source_at, monkeypatch):
    source = source_at("/feed.xml", file="feeds/rss20.xml")

    def crash(*args, **kwargs):
        raise RuntimeError("worker died")

    monkeypatch.setattr(store, "_set_labels", crash)
    attempt = feed_poll(source=source)
    assert attempt.outcome == "error" and "worker died" in attempt.error
    assert not Article.objects.exists() and not Label.objects.exists()
    source.refresh_from_db()
    assert source.etag == "" and source.last_success_at is None
    monkeypatch.undo()
    assert feed_poll(source=source).entries_new == 3
    assert Article.objects.count() == 3 and Label.objects.count() == 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_polls_of_one_source_never_duplicate_nor_raise(feed_server):
    source = Source.objects.create(
        name="Race", slug="race", feed_url=feed_server.serve("/f.xml", file="feeds/rss20.xml")
    )
    outcomes, errors = run_together(lambda: feed_poll(source=Source.objects.get(pk=source.pk)))
    assert errors == []
    # A poll that loads the source after the other committed finds the document ingested: rightly not_modified.
    assert {attempt.outcome for attempt in outcomes} <= {"ok", "not_modified"}
    assert "ok" in {attempt.outcome for attempt in outcomes}
    assert sum(attempt.entries_new for attempt in outcomes) == 3
    assert Article.objects.count() == 3 and FetchAttempt.objects.count() == 2
    assert Label.objects.count() == 2


@pytest.mark.django_db
def test_new_posts_show_at_once_on_a_home_page_that_was_already_cached(
    client, source_at, django_capture_on_commit_callbacks
):
    source = source_at("/feed.xml", file="feeds/rss20.xml")
    assert "No posts yet" in client.get("/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        feed_poll(source=source)
    page = client.get("/").content.decode()
    assert "No posts yet" not in page
    for article in Article.objects.all():
        assert article.get_absolute_url() in page


@pytest.mark.django_db
def test_search_finds_an_updated_entry_by_its_new_words_only(source_at, feed_server):
    source = source_at("/feed.xml", file="feeds/rss20.xml")
    feed_poll(source=source)
    feed_server.serve("/feed.xml", file="feeds/rss20_updated.xml")
    feed_poll(source=source)
    assert [post.guid for post in search_articles("Tuesday")] == ["gazette-1001"]
    assert list(search_articles("Monday")) == []


@pytest.mark.django_db
def test_a_purged_post_still_in_the_upstream_feed_is_not_stored_again(source_at):
    source = source_at("/feed.xml", file="feeds/rss20.xml")
    feed_poll(source=source)
    stored = Article.objects.filter(source=source).count()
    oldest = Article.objects.filter(source=source).order_by("published_at").first()
    Article.objects.filter(pk=oldest.pk).update(published_at=timezone.now() - timedelta(days=400))
    call_command("purgearticles", "--older-than", "90", stdout=StringIO())
    assert not Article.objects.filter(guid=oldest.guid).exists()
    Source.objects.filter(pk=source.pk).update(etag="", last_modified="")  # fetched and parsed in full again
    source.refresh_from_db()
    attempt = feed_poll(source=source)
    assert attempt.entries_new == 0
    assert not Article.objects.filter(guid=oldest.guid).exists()
    assert Article.objects.filter(source=source).count() == stored - 1


@pytest.mark.django_db
def test_posts_deleted_in_the_admin_stay_deleted_while_still_in_the_feed(source_at, feed_server, admin_client):
    source = source_at("/feed.xml", file="feeds/rss20.xml")
    feed_poll(source=source)
    ferry, wall = Article.objects.get(guid="gazette-1001"), Article.objects.get(guid="gazette-1002")
    admin_client.post(f"/admin/articles/article/{ferry.pk}/delete/", {"post": "yes"})
    admin_client.post(
        "/admin/articles/article/", {"action": "delete_selected", "_selected_action": [wall.pk], "post": "yes"}
    )
    assert sorted(Article.objects.values_list("guid", flat=True)) == ["gazette-1003"]
    body = (DATA / "feeds/rss20.xml").read_bytes().replace(b"</item>", b"</item>\n")  # parsed again
    feed_server.serve("/feed.xml", body, content_type="application/rss+xml")
    attempt = feed_poll(source=source)
    assert (attempt.outcome, attempt.entries_seen, attempt.entries_new) == ("ok", 3, 0)
    assert sorted(Article.objects.values_list("guid", flat=True)) == ["gazette-1003"]


@pytest.mark.django_db
def test_a_bulk_delete_in_the_admin_that_fails_midway_deletes_nothing(source_at, admin_client, monkeypatch):
    feed_poll(source=source_at("/feed.xml", file="feeds/rss20.xml"))
    monkeypatch.setattr("articles.retention.BATCH_SIZE", 1)
    calls = []
    real_bulk_create = PurgedPost.objects.bulk_create

    def fail_on_the_second_batch(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("the database went away")
        return real_bulk_create(*args, **kwargs)

    monkeypatch.setattr(PurgedPost.objects, "bulk_create", fail_on_the_second_batch)
    ids = list(Article.objects.values_list("pk", flat=True))
    with pytest.raises(RuntimeError):
        admin_client.post(
            "/admin/articles/article/", {"action": "delete_selected", "_selected_action": ids, "post": "yes"}
        )
    assert Article.objects.count() == 3 and not PurgedPost.objects.exists()


@pytest.mark.django_db
def test_an_entry_another_worker_stored_after_this_poll_read_the_rows_is_updated_not_a_failed_poll(
    source_at, monkeypatch
):
    source = source_at("/feed.xml", file="feeds/rss20.xml")
    real_rows = services.stored_rows

    def read_then_lose_the_race(*, source, guids):
        rows = real_rows(source=source, guids=guids)
        # Another worker stores one of the entries between this poll's read and its lock, with older content.
        ArticleFactory(source=source, guid="gazette-1001", title="Older title", slug="older-title", content_hash="x")
        return rows

    monkeypatch.setattr(services, "stored_rows", read_then_lose_the_race)
    attempt = feed_poll(source=source)
    assert (attempt.outcome, attempt.entries_new, attempt.entries_updated, attempt.entries_skipped) == ("ok", 2, 1, 0)
    assert Article.objects.filter(source=source).count() == 3
    assert Article.objects.get(guid="gazette-1001").title == "Ferry timetable changes from Monday"
