"""Originals after publishing: re-checked on a schedule, flagged (and hidden) when removed, followed when moved."""

import logging
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from articles.models import Article
from feeds import politeness
from feeds.ingest.errors import FetchError
from feeds.ingest.fetch import fetch_feed
from feeds.originals import original_check, originals_check_due, posts_due
from tests.factories import ArticleFactory, SourceFactory
from tests.feeds.turns import LOGGER, gaps, turn_starts
from tests.newsblog.test_settings import manage

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db]
NOW = timezone.now()


def post_at(url: str, *, age: timedelta, checks_done: int = 0, **source) -> Article:
    return ArticleFactory(
        url=url, published_at=NOW - age, original_checks_done=checks_done, source=SourceFactory(**source)
    )


def test_posts_are_due_1h_6h_24h_72h_and_7d_after_publishing_and_never_after_a_week():
    fresh = post_at("https://a.example/1", age=timedelta(minutes=30))
    first = post_at("https://a.example/2", age=timedelta(hours=2))
    second_early = post_at("https://a.example/3", age=timedelta(hours=5), checks_done=1)
    second = post_at("https://a.example/4", age=timedelta(hours=7), checks_done=1)
    last = post_at("https://a.example/5", age=timedelta(days=7, hours=1), checks_done=4)
    done = post_at("https://a.example/6", age=timedelta(days=7, hours=2), checks_done=5)
    old = post_at("https://a.example/7", age=timedelta(days=30))
    due = set(posts_due(NOW).values_list("pk", flat=True))
    assert due == {first.pk, second.pk, last.pk}
    assert not due & {fresh.pk, second_early.pk, done.pk, old.pk}


def test_a_404_flags_the_post_in_the_admin_and_a_source_that_asks_hides_it_until_an_editor_publishes(
    feed_server, admin_client, client, django_capture_on_commit_callbacks
):
    post = post_at(feed_server.url("/gone"), age=timedelta(hours=2), hide_when_original_removed=True)
    assert client.get(post.get_absolute_url()).status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        [check] = originals_check_due(now=NOW)

    post.refresh_from_db()
    assert check.status == 404 and check.removed and check.hidden
    assert post.original_removed_at is not None and post.status == Article.Status.HIDDEN
    assert client.get(post.get_absolute_url()).status_code == 404  # the cached page was dropped at once
    assert post.title in admin_client.get("/admin/articles/article/?original=removed").content.decode()
    index = admin_client.get("/admin/").content.decode().split('id="originals-removed"')[1][:80]
    assert "<strong>1</strong>" in index
    # HEAD is not served there (501), so the check asked again with GET.
    assert len(feed_server.hits("/gone")) == 1

    Article.objects.filter(pk=post.pk).update(status=Article.Status.PUBLISHED)  # the editor's decision
    original_check(article=Article.objects.get(pk=post.pk), now=NOW + timedelta(hours=6))
    post.refresh_from_db()
    assert post.status == Article.Status.PUBLISHED


def test_a_404_without_the_source_option_flags_but_keeps_the_post_published(feed_server):
    post = post_at(feed_server.url("/gone"), age=timedelta(hours=2))
    originals_check_due(now=NOW)
    post.refresh_from_db()
    assert post.original_removed_at is not None and post.status == Article.Status.PUBLISHED


def test_a_permanent_redirect_updates_the_original_link_and_the_attribution(
    feed_server, client, django_capture_on_commit_callbacks
):
    new_home = feed_server.serve("/story-new", "<p>here now</p>", content_type="text/html")
    feed_server.serve("/story-old", status=301, headers={"Location": new_home})
    post = post_at(feed_server.url("/story-old"), age=timedelta(hours=2))
    assert feed_server.url("/story-old") in client.get(post.get_absolute_url()).content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        [check] = originals_check_due(now=NOW)

    post.refresh_from_db()
    assert check.moved_to == new_home and post.url == new_home and post.original_removed_at is None
    page = client.get(post.get_absolute_url()).content.decode()
    assert f'href="{new_home}"' in page


def test_checks_to_one_host_start_a_second_apart_and_stop_at_the_budget(feed_server, settings, monkeypatch, caplog):
    # The whole test in one budget minute: a run that crossed a minute's end got a fresh budget (1 run in 20).
    minute = politeness.this_minute()
    monkeypatch.setattr(politeness, "this_minute", lambda: minute)
    settings.ORIGINAL_CHECKS_PER_MINUTE = 3
    settings.FEEDS_HOST_MIN_GAP_MS = 1000
    politeness.limiter_reset()
    feed_server.serve("/ok", "<p>fine</p>", content_type="text/html")
    same_host = [post_at(feed_server.url("/ok"), age=timedelta(hours=2, minutes=n)) for n in range(5)]

    with caplog.at_level(logging.DEBUG, logger=LOGGER):
        checks = originals_check_due(now=NOW)

    assert len(checks) == 3  # the budget
    assert {check.article_id for check in checks} <= {post.pk for post in same_host}
    # Each check is a HEAD (the test server answers 501 to it, unseen in its hits) and then a GET: six requests.
    starts = turn_starts(caplog.records)[feed_server.host]
    assert len(feed_server.hits("/ok")) == 3 and len(starts) == 6
    assert all(gap >= 0.95 for gap in gaps(starts))
    assert originals_check_due(now=NOW) == []  # the budget is spent for this minute


def test_a_paused_hosts_originals_wait_for_a_later_run(feed_server):
    post = post_at(feed_server.serve("/ok", "<p>fine</p>", content_type="text/html"), age=timedelta(hours=2))
    feed_server.serve("/busy", status=429, headers={"Retry-After": "600"})
    with pytest.raises(FetchError):
        fetch_feed(feed_server.url("/busy"))

    assert originals_check_due(now=NOW) == []
    assert feed_server.hits("/ok") == []
    post.refresh_from_db()
    assert post.original_checks_done == 0


def test_the_fetchers_address_policy_applies(settings):
    settings.FEEDS_ALLOW_PRIVATE_ADDRESSES = False
    post = post_at("http://127.0.0.1:9/private", age=timedelta(hours=2))
    check = original_check(article=post, now=NOW)
    assert check.status is None and check.error  # refused before any request
    post.refresh_from_db()
    assert post.original_removed_at is None and post.original_checks_done == 1


def test_checkoriginals_dry_run_reports_and_changes_nothing(feed_server, capsys):
    post = post_at(feed_server.url("/gone"), age=timedelta(hours=2), hide_when_original_removed=True)
    call_command("checkoriginals", "--post", str(post.pk), "--dry-run")
    assert "HTTP 404; original removed, post hidden" in capsys.readouterr().out
    post.refresh_from_db()
    assert (
        post.original_removed_at is None and post.status == Article.Status.PUBLISHED and post.original_checks_done == 0
    )
    call_command("checkoriginals", "--post", str(post.pk))
    post.refresh_from_db()
    assert post.original_removed_at is not None and post.status == Article.Status.HIDDEN


@pytest.mark.parametrize(("per_minute", "scheduled"), [("60", "True"), ("0", "False")])
def test_zero_checks_a_minute_takes_the_check_off_beats_schedule(per_minute, scheduled):
    code = "from django.conf import settings as s; print('check-originals' in s.CELERY_BEAT_SCHEDULE)"
    result = manage("shell", "--verbosity", "0", "-c", code, ORIGINAL_CHECKS_PER_MINUTE=per_minute)
    assert result.stdout.strip() == scheduled, result.stderr
