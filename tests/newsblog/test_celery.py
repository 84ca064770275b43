"""What `celery -A newsblog worker` and `celery -A newsblog beat` load, as the README runs them."""

from datetime import timedelta

from celery.schedules import crontab
from django.conf import settings

from newsblog.celery import app


def test_every_scheduled_task_is_one_the_worker_knows():
    app.loader.import_default_modules()
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert entry["task"] in app.tasks, entry["task"]


def test_beat_polls_and_flushes_every_minute_and_prunes_daily():
    schedule = {entry["task"]: entry["schedule"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert schedule["feeds.tasks.poll_due_sources"] == timedelta(minutes=1)
    assert schedule["articles.tasks.flush_views"] == timedelta(minutes=1)
    assert isinstance(schedule["feeds.tasks.prune_fetch_attempts"], crontab)
    assert schedule["feeds.tasks.prune_fetch_attempts"].hour == {3}
