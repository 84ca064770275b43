"""Recording a poll's outcome: the source's fetch state, its next poll time and one FetchAttempt row."""

import time
from datetime import datetime

from django.template.defaultfilters import pluralize
from django.utils import timezone

from articles.models import Article
from feeds import silence
from feeds.ingest import schedule
from feeds.ingest.fetch import FetchResult
from feeds.ingest.parse import ParsedFeed
from feeds.ingest.store import StoreResult
from feeds.models import FetchAttempt, Source
from feeds.store_lock import write_transaction


def recent_post_dates(*, source: Source) -> list[datetime]:
    """The source's latest post dates, newest first, for the adaptive interval and the silence check."""
    rows = Article.objects.filter(source=source).order_by("-published_at")
    return list(rows.values_list("published_at", flat=True)[: max(schedule.RECENT_POSTS, silence.HISTORY)])


def record_success(
    *,
    source: Source,
    fetched: FetchResult,
    started_at: datetime,
    clock: float,
    parsed: ParsedFeed | None = None,
    stored: StoreResult | None = None,
    digest: str = "",
    unchanged: bool = False,
) -> FetchAttempt:
    """Save the source's fresh fetch state and schedule, and the FetchAttempt (304 or 200).

    unchanged: a 200 whose body is the one ingested last time; it is recorded as not modified.
    digest: the content digest of the body just ingested.
    """
    stored = stored or StoreResult()
    changes = _success_changes(source, fetched, parsed)
    # With entries skipped, the same document must be parsed again next time so they get another chance.
    if digest and not stored.skipped:
        changes["content_digest"] = digest
    notes = [_moved(source, fetched, changes)]
    if parsed is not None and parsed.warning:
        notes.append(f"The feed is broken but readable; ingested what could be read. Parser said: {parsed.warning}")
    return _record(
        source,
        changes,
        started_at=started_at,
        duration_ms=elapsed_ms(clock),
        http_status=fetched.status,
        bytes_received=fetched.bytes_received,
        outcome=FetchAttempt.Outcome.NOT_MODIFIED if fetched.not_modified or unchanged else FetchAttempt.Outcome.OK,
        **ingest_attempt_fields(parsed=parsed, stored=stored, notes=notes),
    )


def ingest_attempt_fields(*, parsed: ParsedFeed | None, stored: StoreResult, notes: list[str]) -> dict:
    """A FetchAttempt's account of one ingested document (a poll's or a push's): what it held, what was stored,
    and the notes for editors, with the entries skipped last."""
    if stored.skipped:
        notes = [
            *notes,
            f"{stored.skipped} entr{pluralize(stored.skipped, 'y,ies')} skipped, the rest stored; "
            f"the next poll tries again. First: {stored.first_skipped}",
        ]
    return {
        "entries_seen": len(parsed.entries) if parsed else 0,
        "entries_new": stored.new,
        "entries_updated": stored.updated + stored.editor_kept,
        "entries_skipped": stored.skipped,
        "error": " ".join(note for note in notes if note),
    }


def _success_changes(source: Source, fetched: FetchResult, parsed: ParsedFeed | None) -> dict:
    now = timezone.now()
    post_dates = recent_post_dates(source=source)
    interval = schedule.base_interval(override_minutes=source.poll_interval_minutes, recent_posts=post_dates)
    changes = {
        "silent_since": silence.silent_since(post_dates=post_dates, now=now),
        "last_polled_at": now,
        "last_success_at": now,
        "consecutive_failures": 0,
        "last_error": "",
        "next_poll_at": schedule.next_poll_after_success(now=now, interval=interval, headers=fetched.headers),
    }
    if not fetched.not_modified:
        changes["etag"] = fetched.headers.get("etag", "")[:500]
        changes["last_modified"] = fetched.headers.get("last-modified", "")[:100]
    if parsed is not None and parsed.site_url and not source.site_url:
        changes["site_url"] = parsed.site_url
    return changes


def record_failure(
    *, source: Source, error: Exception, fetched: FetchResult | None, started_at: datetime, clock: float
) -> FetchAttempt:
    """Save a failed poll: back-off (honouring Retry-After), the reason for editors, 410 switches the source off."""
    now = timezone.now()
    status = getattr(error, "status", None) or (fetched.status if fetched else None)
    headers = getattr(error, "headers", None) or (fetched.headers if fetched else {})
    failures = source.consecutive_failures + 1
    interval = schedule.base_interval(override_minutes=source.poll_interval_minutes, recent_posts=[])
    next_poll = schedule.next_poll_after_failure(now=now, failures=failures, interval=interval, headers=headers)
    message = str(error)
    if status in (429, 503):
        message += f" The server asked us to slow down; next try at {next_poll:%Y-%m-%d %H:%M} UTC."
    changes = {
        "last_polled_at": now,
        "consecutive_failures": failures,
        "last_error": message,
        "next_poll_at": next_poll,
    }
    if status == 410:
        changes.update(is_active=False, disabled_reason=f"{message} Switched off automatically on {now:%Y-%m-%d}.")
    return _record(
        source,
        changes,
        started_at=started_at,
        duration_ms=elapsed_ms(clock),
        http_status=status,
        bytes_received=fetched.bytes_received if fetched else 0,
        outcome=FetchAttempt.Outcome.ERROR,
        error=message,
    )


def _moved(source: Source, fetched: FetchResult, changes: dict) -> str:
    """Follow a permanent redirect by updating the source's address, keeping the old one visible."""
    if not fetched.moved_to or fetched.moved_to == source.feed_url:
        return ""
    if Source.objects.filter(feed_url=fetched.moved_to).exclude(pk=source.pk).exists():
        return f"The feed moved permanently to {fetched.moved_to}, which another source already uses; not changed."
    changes.update(previous_feed_url=source.feed_url, feed_url=fetched.moved_to)
    return f"The feed moved permanently to {fetched.moved_to}; the source now uses that address."


def _record(source: Source, changes: dict, **attempt) -> FetchAttempt:
    """Save the source's new state and its FetchAttempt together."""
    # Inside the poll's transaction no savepoint is needed: any failure there aborts the whole poll anyway.
    with write_transaction(savepoint=False):
        _save(source, changes)
        return FetchAttempt.objects.create(source=source, **attempt)


def _save(source: Source, changes: dict) -> None:
    # update() writes only these fields, so an editor's concurrent change to the name or interval is kept.
    changes["updated_at"] = timezone.now()
    Source.objects.filter(pk=source.pk).update(**changes)
    for name, value in changes.items():
        setattr(source, name, value)


def elapsed_ms(clock: float) -> int:
    """Milliseconds since clock (a time.monotonic() reading), never negative."""
    return max(int((time.monotonic() - clock) * 1000), 0)
