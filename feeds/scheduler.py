"""Whether sources are being polled on schedule: each scheduler run leaves its time; the desk reads it."""

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from feeds.models import SchedulerRun

# The names schedulers record their runs under.
BEAT = "celery beat (poll_due_sources)"
POLLFEEDS = "pollfeeds --due"


def scheduler_run_record(*, name: str, now: datetime | None = None) -> None:
    """Note that a scheduler looked for due sources just now."""
    SchedulerRun.objects.update_or_create(name=name, defaults={"ran_at": now or timezone.now()})


def scheduler_missing(*, now: datetime | None = None) -> str:
    """A sentence for the desk when no scheduler looked for due sources in twice its interval; "" when one did."""
    now = now or timezone.now()
    latest = SchedulerRun.objects.order_by("-ran_at").first()
    allowed = timedelta(seconds=2 * settings.FEEDS_SCHEDULE_SECONDS)
    if latest is not None and now - latest.ran_at <= allowed:
        return ""
    since = "has never run" if latest is None else f"last ran {timezone.localtime(latest.ran_at):%d %b %H:%M}"
    return (
        f"No scheduler is polling sources: it {since}, so due sources wait until someone clicks Poll now. "
        "Start one: `make run` does in the embedded default; in production run Celery beat and a worker "
        "(or `manage.py pollfeeds --due` from cron)."
    )
