"""Feed services: poll a source, probe a URL, ingest a document, claim due sources, prune old attempts."""

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.text import slugify

from articles.models import EXCERPT_MAX_CHARS
from articles.pagecache import invalidate_posts_on_commit
from feeds.deferral import host_sources_defer, source_defer
from feeds.ingest.discover import feed_links, looks_like_html
from feeds.ingest.errors import TRANSIENT_DATABASE_ERRORS, FetchTimeout, error_summary
from feeds.ingest.fetch import FetchError, FetchLimits, FetchResult, check_url, fetch_feed
from feeds.ingest.fingerprint import feed_fingerprint
from feeds.ingest.parse import ParsedEntry, ParsedFeed, ParseError, parse_feed
from feeds.ingest.selectors import without_selected
from feeds.ingest.store import PreparedEntry, StoredRows, StoreResult, store_entries_tolerant, stored_rows
from feeds.models import FetchAttempt, Source
from feeds.outcomes import record_failure, record_success
from feeds.politeness import HostNotNow
from feeds.republishing import (
    entries_to_prepare,
    entry_notes_record,
    excerpt_only,
    new_post_status,
    source_rules,
    with_content_mode,
)
from feeds.scheduler import BEAT, scheduler_run_record
from feeds.spread import first_poll_time
from feeds.store_lock import write_transaction
from feeds.websub.lifecycle import websub_after_poll
from newsblog import metrics
from untrusted.sanitize import excerpt_from_html, first_image, sanitize_html
from untrusted.text import content_type

logger = logging.getLogger("feeds.poll")
# A claimed source is not claimed again for this long, even if its poll task never runs.
CLAIM_LEASE = timedelta(minutes=15)
FETCH_ATTEMPT_RETENTION_DAYS = 30
STORE_ATTEMPTS = 3

Timings = dict[str, float]


@dataclass
class FeedProbe:
    """What fetching a URL once found: the feed (discovered from an HTML page or not), its title, entries, error."""

    feed_url: str
    title: str = ""
    entry_count: int = 0
    error: str = ""
    discovered: bool = False
    site_url: str = ""
    # The check ran out of its time (a slow server, not a wrong address): the first poll will tell.
    timed_out: bool = False
    # "fetch" or "parse": which stage failed, for an editor's explanation in words.
    failed_stage: str = ""


@contextmanager
def _timed(timings: Timings, stage: str) -> Iterator[None]:
    started = time.perf_counter()
    try:
        yield
    finally:
        timings[stage] = timings.get(stage, 0.0) + (time.perf_counter() - started) * 1000


def feed_poll(*, source: Source) -> FetchAttempt:
    """One full poll of a source: fetch, parse, sanitize, store, schedule; always records a FetchAttempt."""
    started_at, clock, timings = timezone.now(), time.monotonic(), {}
    fetched: FetchResult | None = None
    try:
        with _timed(timings, "fetch"):
            fetched = fetch_feed(
                source.feed_url, etag=source.etag, last_modified=source.last_modified, agent=source.user_agent
            )
        if fetched.not_modified:
            attempt = record_success(source=source, fetched=fetched, started_at=started_at, clock=clock)
        else:
            attempt = _ingest_fetched(source, fetched, started_at, clock, timings)
    except HostNotNow as error:
        attempt = source_defer(source=source, error=error, started_at=started_at, clock=clock)
    except (FetchError, ParseError) as error:
        attempt = record_failure(source=source, error=error, fetched=fetched, started_at=started_at, clock=clock)
        if getattr(error, "host_pause", None) is not None:
            host_sources_defer(pause=error.host_pause, exclude=source)
    except TRANSIENT_DATABASE_ERRORS:
        raise
    except DatabaseError as error:
        if connection.needs_rollback:
            raise  # the caller's transaction is broken: nothing can be written until it rolls back
        # The poll's own writes were rolled back, so the failure can be recorded on a clean connection.
        logger.exception("poll of %s hit a database error", source.slug, extra={"source": source.slug})
        failure = ParseError(_database_failure(error))
        attempt = record_failure(source=source, error=failure, fetched=fetched, started_at=started_at, clock=clock)
    except Exception as error:
        logger.exception("poll of %s crashed", source.slug, extra={"source": source.slug})
        failure = ParseError(f"internal error while processing the feed ({type(error).__name__}: {error})")
        attempt = record_failure(source=source, error=failure, fetched=fetched, started_at=started_at, clock=clock)
    _log(source, attempt, timings)
    _count(attempt, timings)
    websub_after_poll(source=source, fetched=fetched, attempt=attempt)
    return attempt


def _count(attempt: FetchAttempt, timings: Timings) -> None:
    """Add the poll to the Prometheus metrics: its outcome, the entries it stored, each stage's time."""
    metrics.POLLS.labels(outcome=attempt.outcome).inc()
    metrics.ENTRIES.labels(result="new").inc(attempt.entries_new)
    metrics.ENTRIES.labels(result="updated").inc(attempt.entries_updated)
    for stage, histogram in (
        ("fetch", metrics.FETCH_SECONDS),
        ("parse", metrics.PARSE_SECONDS),
        ("sanitize", metrics.SANITIZE_SECONDS),
    ):
        if stage in timings:
            histogram.observe(timings[stage] / 1000)


def _database_failure(error: DatabaseError) -> str:
    """An editor-readable reason for a poll the database refused (the driver's first line, not its whole dump)."""
    return f"The database refused this poll's data, so nothing from it was stored ({error_summary(error)})."


def _ingest_fetched(
    source: Source, fetched: FetchResult, started_at: datetime, clock: float, timings: Timings
) -> FetchAttempt:
    digest = feed_fingerprint(feed_url=source.feed_url, headers=fetched.headers, body=fetched.body)
    if digest == source.content_digest:
        # The document already ingested, at most with a new build time: parsing it again would find the same entries.
        return record_success(source=source, fetched=fetched, started_at=started_at, clock=clock, unchanged=True)
    attempts: list[FetchAttempt] = []

    def finish(parsed: ParsedFeed, stored: StoreResult) -> None:
        attempt = record_success(
            source=source,
            fetched=fetched,
            started_at=started_at,
            clock=clock,
            parsed=parsed,
            stored=stored,
            digest=digest,
        )
        attempts.append(entry_notes_record(attempt=attempt, stored=stored))

    feed_ingest(
        source=source, body=fetched.body, headers=fetched.headers, now=started_at, timings=timings, finish=finish
    )
    return attempts[-1]


def feed_ingest(
    *,
    source: Source,
    body: bytes,
    headers: dict[str, str],
    now: datetime,
    timings: Timings | None = None,
    finish: Callable[[ParsedFeed, StoreResult], None] | None = None,
) -> StoreResult:
    """Parse, sanitize and store one feed document for source; finish() runs in the same transaction."""
    timings = {} if timings is None else timings
    with _timed(timings, "parse"):
        parsed = parse_feed(body, url=source.feed_url, headers=headers, fetched_at=now)
    unprepared = StoreResult()
    entries = list({entry.guid: entry for entry in parsed.entries}.values())
    # The poll's one read of the source's stored rows: it picks the entries to prepare, and the store uses it too.
    stored = stored_rows(source=source, guids=[entry.guid for entry in entries])
    with _timed(timings, "sanitize"):
        prepared = _prepare(source, entries, stored, unprepared)
    for attempt in range(STORE_ATTEMPTS):
        try:
            with _timed(timings, "store"), write_transaction():
                if prepared:
                    _lock_for_store(source)
                # A retry after a refused write reads the rows again: the refusal may have been a concurrent poll's.
                result = store_entries_tolerant(
                    source=source, entries=prepared, now=now, stored=stored if attempt == 0 else None
                )
                result.add(unprepared)
                # The reading side's pages that show these posts are dropped once readers can see the posts.
                invalidate_posts_on_commit(result.written)
                if finish is not None:
                    finish(parsed, result)
                return result
        except IntegrityError:
            # Another source took the same slug in the same month at the same moment: the retry sees it.
            if attempt == STORE_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def _lock_for_store(source: Source) -> None:
    """Lock the source row: polls of one source take turns here, so two workers never race on the same entries.

    The commit waits for its WAL flush like any other: not waiting (synchronous_commit = off) bought under 5% of
    a poll's time, so it went (bench/ingest.py's synchronous_commit line measures it).
    """
    list(Source.objects.select_for_update().filter(pk=source.pk).order_by().values_list("pk", flat=True))


def _prepare(
    source: Source, entries: list[ParsedEntry], stored: StoredRows, skipped: StoreResult
) -> list[PreparedEntry]:
    """Sanitize only the entries whose raw hash is not stored yet (new ones the rules take, or changed upstream).

    An entry that cannot be prepared is left out and counted in `skipped`; the rest of the feed goes on.
    """
    known = {guid: row.content_hash for guid, row in stored.items()}
    rules = source_rules(source)
    to_prepare = entries_to_prepare(rules, entries, known)
    wanted, skipped.notes, skipped.retry_next_poll = with_content_mode(source=source, entries=to_prepare)
    status = new_post_status(source)
    prepared = []
    for entry in wanted:
        try:
            prepared.append(_prepared_entry(source, entry, status, rules.selectors))
        except Exception as error:  # noqa: BLE001 - hostile markup may break any library; recorded, not swallowed
            logger.warning("entry %s of %s skipped: %s", entry.guid, source.slug, error_summary(error), exc_info=True)
            skipped.skip(guid=entry.guid, reason=error_summary(error))
            metrics.ENTRIES_SKIPPED.labels(reason="unpreparable").inc()
    return prepared


def _prepared_entry(source: Source, entry: ParsedEntry, status: str, selectors: list) -> PreparedEntry:
    body = sanitize_html(without_selected(entry.content_html, selectors), base_url=entry.content_base)
    image = entry.image_url or first_image(body)
    excerpt = excerpt_from_html(body, limit=EXCERPT_MAX_CHARS)
    body = excerpt_only(source, excerpt=excerpt, url=entry.url) or body
    return PreparedEntry(parsed=entry, body_html=body, excerpt=excerpt, image_url=image, status=status)


def _log(source: Source, attempt: FetchAttempt, timings: Timings) -> None:
    extra = {
        "source": source.slug,
        "outcome": attempt.outcome,
        "http_status": attempt.http_status,
        "duration_ms": attempt.duration_ms,
        "new": attempt.entries_new,
        "updated": attempt.entries_updated,
        "skipped": attempt.entries_skipped,
    }
    extra.update({f"{stage}_ms": round(ms, 1) for stage, ms in timings.items()})
    level = logging.WARNING if attempt.outcome == FetchAttempt.Outcome.ERROR else logging.INFO
    logger.log(
        level,
        "poll %s: %s (HTTP %s, %s ms, %s new, %s updated)%s",
        source.slug,
        attempt.outcome,
        attempt.http_status or "-",
        attempt.duration_ms,
        attempt.entries_new,
        attempt.entries_updated,
        f": {attempt.error}" if attempt.error else "",
        extra=extra,
    )


def feed_probe(*, url: str, deadline_seconds: float | None = None) -> FeedProbe:
    """Fetch a URL once and say whether it is a feed (title, entry count), finding the feed an HTML page links to.

    deadline_seconds bounds the whole check, both fetches together when a page leads to its feed.
    """
    probe = FeedProbe(feed_url=(url or "").strip())
    started = time.monotonic()
    try:
        probe.feed_url = check_url(url)
        fetched = fetch_feed(probe.feed_url, limits=_limits_left(started, deadline_seconds))
        media_type, _charset = content_type(fetched.headers)
        if looks_like_html(fetched.body, media_type):
            links = feed_links(fetched.body, page_url=fetched.url)
            if not links:
                raise ParseError("This is a web page that does not link to any RSS, Atom or JSON feed.")
            probe.feed_url, probe.discovered = check_url(links[0]), True
            fetched = fetch_feed(probe.feed_url, limits=_limits_left(started, deadline_seconds))
        parsed = parse_feed(fetched.body, url=fetched.url, headers=fetched.headers, fetched_at=timezone.now())
    except (FetchError, ParseError) as error:
        probe.error, probe.timed_out = _sentence(str(error)), isinstance(error, FetchTimeout)
        probe.failed_stage = "fetch" if isinstance(error, FetchError) else "parse"
        return probe
    probe.feed_url = fetched.moved_to or probe.feed_url
    probe.title, probe.entry_count, probe.site_url = parsed.title, len(parsed.entries), parsed.site_url
    if not parsed.entries:
        probe.error = "The feed is valid but has no entries yet."
    return probe


def _limits_left(started: float, deadline_seconds: float | None) -> FetchLimits | None:
    """The usual fetch limits (None), or those cut down to what is left of an overall deadline."""
    if deadline_seconds is None:
        return None
    left = deadline_seconds - (time.monotonic() - started)
    if left <= 0:
        raise FetchTimeout(f"The check took longer than {deadline_seconds:g} s; gave up.")
    usual = FetchLimits()
    return FetchLimits(
        connect_timeout=min(usual.connect_timeout, left), deadline=min(usual.deadline, left), host_wait=left
    )


def _sentence(message: str) -> str:
    message = message.strip()
    return message[:1].upper() + message[1:]


def source_claim_due(*, enqueue: Callable[[int], object], now: datetime | None = None, limit: int = 500) -> list[int]:
    """Claim the due active sources, move their next poll forward, and enqueue one poll each on commit."""
    now = now or timezone.now()
    with transaction.atomic():
        scheduler_run_record(name=BEAT, now=now)
        due = Source.objects.due(now).order_by(F("next_poll_at").asc(nulls_first=True), "id")
        ids = list(due.select_for_update(skip_locked=True).values_list("id", flat=True)[:limit])
        Source.objects.filter(pk__in=ids).update(next_poll_at=now + CLAIM_LEASE)
        transaction.on_commit(lambda: [enqueue(source_id) for source_id in ids])
    return ids


def fetch_attempt_prune(*, now: datetime | None = None, days: int = FETCH_ATTEMPT_RETENTION_DAYS) -> int:
    """Delete FetchAttempt rows older than `days`; returns how many went."""
    cutoff = (now or timezone.now()) - timedelta(days=days)
    deleted, _by_model = FetchAttempt.objects.filter(started_at__lt=cutoff).delete()
    return deleted


def source_create(
    *,
    feed_url: str,
    name: str = "",
    site_url: str = "",
    poll_interval_minutes: int | None = None,
    category: str = "",
) -> Source:
    """A new source for feed_url with a unique slug, its first poll in the least busy minute of its interval;
    ValueError if that feed is already a source."""
    feed_url = check_url(feed_url)
    existing = Source.objects.filter(feed_url=feed_url).first()
    if existing is not None:
        raise ValueError(f"{feed_url} is already a source: {existing.name} (id {existing.pk}).")
    name = (name or urlsplit(feed_url).hostname or "Feed").strip()[:200]
    return Source.objects.create(
        name=name,
        slug=unique_source_slug(name),
        feed_url=feed_url,
        site_url=site_url,
        poll_interval_minutes=poll_interval_minutes,
        category=category.strip()[:200],
        next_poll_at=first_poll_time(interval_minutes=poll_interval_minutes),
    )


def unique_source_slug(name: str) -> str:
    """A slug for a new source from its name, numbered when another source already has it."""
    base = slugify(name)[:90].strip("-") or "source"
    taken = set(Source.objects.filter(slug__startswith=base).values_list("slug", flat=True))
    return next(slug for n in range(1, 10_000) if (slug := base if n == 1 else f"{base}-{n}") not in taken)
