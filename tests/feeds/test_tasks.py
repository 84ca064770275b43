import threading
import time
from datetime import timedelta

import pytest
from celery.contrib.testing.worker import start_worker
from django.db import connection, transaction
from django.utils import timezone

from articles.models import Article
from feeds import tasks
from feeds.models import FetchAttempt, Source
from feeds.services import source_claim_due
from newsblog.celery import app as celery_app
from tests.factories import SourceFactory


@pytest.mark.django_db
def test_beat_task_polls_due_active_sources_only(feed_server, django_capture_on_commit_callbacks):
    url = feed_server.serve("/feed.xml", file="feeds/rss20.xml")
    due = SourceFactory(feed_url=url)
    later = SourceFactory(feed_url=url + "?later", next_poll_at=timezone.now() + timedelta(hours=1))
    off = SourceFactory(feed_url=url + "?off", is_active=False)
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.poll_due_sources() == 1
    assert set(FetchAttempt.objects.values_list("source", flat=True)) == {due.pk}
    due.refresh_from_db()
    assert due.next_poll_at > timezone.now() + timedelta(minutes=4)
    assert not FetchAttempt.objects.filter(source__in=[later, off]).exists()


@pytest.mark.django_db
def test_claiming_moves_the_next_poll_forward_so_a_second_beat_does_not_claim_again():
    SourceFactory.create_batch(3)
    enqueued = []
    assert len(source_claim_due(enqueue=enqueued.append)) == 3
    assert source_claim_due(enqueue=enqueued.append) == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_claiming_skips_sources_another_beat_has_locked():
    locked, free = SourceFactory(), SourceFactory()
    holding, release = threading.Event(), threading.Event()

    def hold_lock():
        try:
            with transaction.atomic():
                Source.objects.select_for_update().get(pk=locked.pk)
                holding.set()
                release.wait(5)
        finally:
            connection.close()

    thread = threading.Thread(target=hold_lock)
    thread.start()
    holding.wait(5)
    try:
        assert source_claim_due(enqueue=lambda source_id: None) == [free.pk]
    finally:
        release.set()
        thread.join()


@pytest.mark.django_db
def test_poll_source_ignores_missing_and_inactive_sources():
    tasks.poll_source(999_999)
    tasks.poll_source(SourceFactory(is_active=False).pk)
    assert not FetchAttempt.objects.exists()


@pytest.mark.django_db
def test_prune_deletes_fetch_attempts_older_than_30_days():
    source = SourceFactory()
    old = FetchAttempt.objects.create(source=source, outcome="ok", started_at=timezone.now() - timedelta(days=31))
    recent = FetchAttempt.objects.create(source=source, outcome="ok", started_at=timezone.now() - timedelta(days=29))
    assert tasks.prune_fetch_attempts() == 1
    assert list(FetchAttempt.objects.values_list("pk", flat=True)) == [recent.pk]
    assert not FetchAttempt.objects.filter(pk=old.pk).exists()


def test_tasks_are_late_acknowledged_with_time_limits(settings):
    assert tasks.poll_source.acks_late and celery_app.conf.worker_prefetch_multiplier == 1
    assert (celery_app.conf.task_soft_time_limit, celery_app.conf.task_time_limit) == (60, 90)
    assert "feeds.tasks.poll_due_sources" in {e["task"] for e in settings.CELERY_BEAT_SCHEDULE.values()}


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_on_redis_runs_the_beat_task_and_posts_land_in_postgres(feed_server):
    SourceFactory(feed_url=feed_server.serve("/feed.xml", file="feeds/rss20.xml"))
    celery_app.conf.task_always_eager = False
    try:
        with start_worker(celery_app, perform_ping_check=False, shutdown_timeout=30):
            celery_app.send_task("feeds.tasks.poll_due_sources")  # exactly what beat sends
            deadline = time.monotonic() + 30
            while Article.objects.count() < 3 and time.monotonic() < deadline:
                time.sleep(0.2)
    finally:
        celery_app.conf.task_always_eager = True
    assert Article.objects.count() == 3
    assert FetchAttempt.objects.get().outcome == "ok"
