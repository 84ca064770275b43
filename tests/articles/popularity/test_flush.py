"""The flush from Redis to PostgreSQL: exactly once, even when it is stopped at any step (real commits)."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection
from django.utils import timezone

from articles.models import ArticleDailyViews, ViewFlush
from articles.popularity import counter as view_counter
from articles.popularity import flush as view_flush
from articles.popularity import flush_views, last_flush_at, view_record
from articles.tasks import flush_views as flush_task
from tests.articles.popularity.helpers import counter, reader, totals, waiting_keys
from tests.concurrency import run_together
from tests.factories import ArticleFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.redis]


class Crash(DatabaseError):
    """The flush process dies here (a DatabaseError, so a transaction it interrupts rolls back)."""


def crash(*args, **kwargs):
    raise Crash


# Each step of a flush, and the function that fails there: the batch is taken from Redis, read back,
# its flush id claimed in the database, the daily rows and totals written, committed, and released in Redis.
STEPS = {
    "after-take": (view_counter, "read_batch"),
    "before-transaction": (view_flush, "apply_batch"),
    "after-claiming-the-flush-id": (view_flush, "_upsert_daily"),
    "after-daily-rows": (view_flush, "_add_totals"),
    "at-commit": (connection, "commit"),
    "after-commit": (view_counter, "release"),
}


def record_views(articles, readers):
    for number in readers:
        view_record(request=reader(number), article_id=articles[number % len(articles)].pk)


@pytest.mark.parametrize("step", STEPS)
def test_a_flush_stopped_at_any_step_loses_and_doubles_nothing_once_the_next_flush_ran(step, monkeypatch):
    articles = ArticleFactory.create_batch(3)
    record_views(articles, range(30))
    with monkeypatch.context() as patch:
        patch.setattr(*STEPS[step], crash)
        with pytest.raises(Crash):
            flush_views()
    record_views(articles, range(30, 36))  # readers keep coming while the flush is down
    flush_views()
    assert [totals(article) for article in articles] == [(12, 12, 12)] * 3
    assert flush_views().views == 0
    assert [totals(article) for article in articles] == [(12, 12, 12)] * 3
    assert waiting_keys() == []


def test_a_flush_stopped_twice_in_a_row_still_counts_each_view_once(monkeypatch):
    article = ArticleFactory()
    record_views([article], range(5))
    for step in ("after-take", "after-commit"):
        with monkeypatch.context() as patch:
            patch.setattr(*STEPS[step], crash)
            with pytest.raises(Crash):
                flush_views()
        record_views([article], range(5 if step == "after-take" else 10, 10 if step == "after-take" else 12))
    result = flush_views()
    assert totals(article) == (12, 12, 12)
    assert result.already_applied == 1


def test_two_flushes_at_once_count_each_view_once():
    articles = ArticleFactory.create_batch(4)
    record_views(articles, range(400))
    view_counter.take()  # a batch left in flight, which both flushes will try to finish
    record_views(articles, range(400, 800))
    _results, errors = run_together(flush_views)
    assert errors == []
    assert [totals(article)[:2] for article in articles] == [(200, 200)] * 4


def test_views_of_days_before_midnight_land_on_their_own_day():
    article = ArticleFactory()
    yesterday = timezone.localdate() - timedelta(days=1)
    counter().hset(view_counter.PENDING_KEY, view_counter.count_field(article.pk, yesterday), 7)
    view_record(request=reader(1), article_id=article.pk)
    flush_views()
    days = dict(ArticleDailyViews.objects.filter(article=article).values_list("date", "views"))
    assert days == {yesterday: 7, timezone.localdate(): 1}
    assert totals(article)[0] == 8


def test_views_of_a_deleted_post_are_dropped_without_blocking_the_others():
    kept, deleted = ArticleFactory(), ArticleFactory()
    record_views([kept, deleted], range(4))
    deleted.delete()
    assert flush_views().views == 2
    assert totals(kept) == (2, 2, 2)
    assert waiting_keys() == []


def test_unique_visitors_never_exceed_views_nor_shrink():
    article = ArticleFactory()
    record_views([article], range(3))
    flush_views()
    counter().delete(view_counter.visitors_key(timezone.localdate(), article.pk))  # e.g. Redis restarted
    record_views([article], range(3, 4))
    flush_views()
    assert totals(article) == (4, 4, 3)


def test_last_flush_time_is_kept_for_the_health_page():
    assert last_flush_at() is None
    before = timezone.now()
    flush_views()
    assert before <= last_flush_at() <= timezone.now()


def test_last_flush_time_falls_back_to_the_flush_log():
    article = ArticleFactory()
    record_views([article], range(2))
    flush_views()
    counter().delete(view_counter.LAST_FLUSH_KEY)
    assert last_flush_at() == ViewFlush.objects.get().applied_at


def test_old_flush_log_rows_are_pruned():
    ViewFlush.objects.create(flush_id="old", applied_at=timezone.now() - timedelta(days=view_flush.FLUSH_LOG_DAYS + 1))
    flush_views()
    assert not ViewFlush.objects.filter(flush_id="old").exists()


def test_the_flushviews_command_flushes_and_says_what_it_did(capsys):
    article = ArticleFactory()
    record_views([article], range(3))
    call_command("flushviews")
    assert "Flushed 3 views into 1 daily rows" in capsys.readouterr().out
    assert totals(article) == (3, 3, 3)


def test_the_beat_task_flushes():
    article = ArticleFactory()
    record_views([article], range(2))
    flush_task.delay()
    assert totals(article) == (2, 2, 2)
