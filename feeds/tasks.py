"""Celery tasks: thin shells that load by id, call one service and own their retry policy."""

from celery import shared_task

from feeds.models import RulesRun, Source
from feeds.originals import originals_check_due
from feeds.rules_apply import rules_run_execute
from feeds.services import TRANSIENT_DATABASE_ERRORS, feed_poll, fetch_attempt_prune, source_claim_due
from feeds.websub import tasks as websub_tasks  # noqa: F401 - registers the WebSub tasks with the worker

# Only the database going away is transient here: feed failures (and refused data) are recorded by feed_poll.
TRANSIENT = TRANSIENT_DATABASE_ERRORS


@shared_task(acks_late=True, ignore_result=True)
def poll_due_sources() -> int:
    """Claim the due sources and enqueue one poll_source each (beat runs this every minute)."""
    return len(source_claim_due(enqueue=poll_source.delay))


@shared_task(
    acks_late=True,
    ignore_result=True,
    autoretry_for=TRANSIENT,
    retry_backoff=30,
    retry_backoff_max=600,
    max_retries=3,
)
def poll_source(source_id: int) -> None:
    """Poll one active source."""
    source = Source.objects.active().filter(pk=source_id).first()
    if source is not None:
        feed_poll(source=source)


@shared_task(acks_late=True, ignore_result=True, autoretry_for=TRANSIENT, retry_backoff=60, max_retries=3)
def prune_fetch_attempts() -> int:
    """Delete FetchAttempt rows older than 30 days."""
    return fetch_attempt_prune()


@shared_task(acks_late=True, ignore_result=True, autoretry_for=TRANSIENT, retry_backoff=30, max_retries=3)
def apply_source_rules(run_id: int) -> None:
    """Apply a source's rules to its stored posts (a run queued by the admin's Apply); re-running it is harmless."""
    run = RulesRun.objects.select_related("source").filter(pk=run_id).exclude(state=RulesRun.State.CANCELLED).first()
    if run is not None:
        rules_run_execute(run=run)


@shared_task(acks_late=True, ignore_result=True, autoretry_for=TRANSIENT, retry_backoff=60, max_retries=1)
def check_originals() -> int:
    """Re-check the originals of recent posts that are due (beat runs this every minute)."""
    return len(originals_check_due())
