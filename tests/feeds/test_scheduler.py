"""The desk warns when no scheduler (Celery beat, or make run's pollfeeds --due schedule) has looked for due sources."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from feeds.models import SchedulerRun
from feeds.scheduler import BEAT, POLLFEEDS, scheduler_missing, scheduler_run_record
from feeds.tasks import poll_due_sources
from tests.operations.desk import editor_client

pytestmark = pytest.mark.django_db


def test_both_schedulers_record_each_run_even_with_nothing_due():
    poll_due_sources()
    call_command("pollfeeds", "--due", stdout=StringIO(), stderr=StringIO())
    assert set(SchedulerRun.objects.values_list("name", flat=True)) == {BEAT, POLLFEEDS}
    call_command("pollfeeds", "--all", stdout=StringIO(), stderr=StringIO())  # a manual run is no schedule
    assert SchedulerRun.objects.count() == 2


def test_missing_after_twice_the_schedule_interval(settings):
    settings.FEEDS_SCHEDULE_SECONDS = 60
    now = timezone.now()
    assert "has never run" in scheduler_missing(now=now)
    scheduler_run_record(name=POLLFEEDS, now=now - timedelta(seconds=119))
    assert scheduler_missing(now=now) == ""
    assert "last ran" in scheduler_missing(now=now + timedelta(seconds=2))


def test_the_dashboard_and_the_source_list_say_when_no_scheduler_runs(client):
    editor = editor_client(client)
    scheduler_run_record(name=BEAT, now=timezone.now() - timedelta(hours=1))
    for url in ("/admin/", "/admin/feeds/source/"):
        page = editor.get(url).content.decode()
        assert "No scheduler is polling sources" in page and "make run" in page, url
    scheduler_run_record(name=BEAT)
    for url in ("/admin/", "/admin/feeds/source/"):
        assert "No scheduler is polling sources" not in editor.get(url).content.decode(), url
