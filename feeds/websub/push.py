"""Content distribution: a hub's signed POST is checked and kept at once, and ingested by the worker later.

The body goes through the same parse -> sanitize -> store stages as a poll's (feeds.services.feed_ingest) and is
recorded as a FetchAttempt of kind "push". A body already received for the subscription (a hub's retry, or a
replay) is ignored: the (subscription, digest) constraint decides, not a lookup.
"""

import hashlib
import logging
import time
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from feeds.ingest.parse import ParsedFeed, ParseError
from feeds.ingest.store import StoreResult
from feeds.models import FetchAttempt, Source
from feeds.outcomes import elapsed_ms, ingest_attempt_fields
from feeds.republishing import entry_notes_record
from feeds.services import feed_ingest
from feeds.store_lock import write_transaction
from feeds.websub.models import WebSubPush, WebSubSubscription
from feeds.websub.signature import signature_valid
from newsblog import metrics

logger = logging.getLogger("feeds.websub")
MAX_PUSH_BYTES = 15 * 1024 * 1024


def push_accept(*, subscription: WebSubSubscription, body: bytes, signature: str, content_type: str) -> str:
    """Check a pushed body's signature and keep it for the worker; returns the result it is counted under."""
    if not signature_valid(body=body, header=signature, secrets=[subscription.secret, subscription.pending_secret]):
        result = "bad_signature" if signature else "unsigned"
        WebSubSubscription.objects.filter(pk=subscription.pk).update(pushes_rejected=F("pushes_rejected") + 1)
        logger.warning("websub push to %s ignored: %s", subscription.topic_url, result.replace("_", " "))
    else:
        result = _keep(subscription, body, content_type[:200])
    metrics.WEBSUB_PUSHES.labels(result=result).inc()
    return result


def _keep(subscription: WebSubSubscription, body: bytes, content_type: str) -> str:
    digest = hashlib.sha256(body).hexdigest()
    now = timezone.now()
    try:
        with write_transaction():
            push = WebSubPush.objects.create(
                subscription=subscription, digest=digest, content_type=content_type, body=body, received_at=now
            )
            WebSubSubscription.objects.filter(pk=subscription.pk).update(last_push_at=now, pushes=F("pushes") + 1)
    except IntegrityError:
        return "replayed"
    from feeds.websub.tasks import websub_ingest_push  # the task calls push_ingest below

    transaction.on_commit(lambda: websub_ingest_push.delay(push.pk))
    return "accepted"


def push_ingest(*, push: WebSubPush) -> FetchAttempt | None:
    """Ingest a kept push for its source (if still active) and record it as a push attempt; the body is dropped."""
    source = push.subscription.source
    attempt = None
    if source is not None and source.is_active:
        attempt = _ingested(push, source)
    WebSubPush.objects.filter(pk=push.pk).update(body=b"", ingested_at=timezone.now())
    return attempt


def _ingested(push: WebSubPush, source: Source) -> FetchAttempt:
    started_at, clock, body = timezone.now(), time.monotonic(), bytes(push.body)
    attempts: list[FetchAttempt] = []

    def finish(parsed: ParsedFeed, stored: StoreResult) -> None:
        attempt = _record(source, started_at, clock, body, parsed=parsed, stored=stored)
        attempts.append(entry_notes_record(attempt=attempt, stored=stored))

    try:
        feed_ingest(
            source=source, body=body, headers={"content-type": push.content_type}, now=started_at, finish=finish
        )
    except ParseError as error:
        logger.warning("websub push for %s could not be read: %s", source.slug, error)
        return _record(source, started_at, clock, body, error=f"The pushed document could not be read: {error}")
    attempt = attempts[-1]
    metrics.ENTRIES.labels(result="new").inc(attempt.entries_new)
    metrics.ENTRIES.labels(result="updated").inc(attempt.entries_updated)
    logger.info("push %s: %s new, %s updated", source.slug, attempt.entries_new, attempt.entries_updated)
    return attempt


def _record(
    source: Source,
    started_at: datetime,
    clock: float,
    body: bytes,
    *,
    parsed: ParsedFeed | None = None,
    stored: StoreResult | None = None,
    error: str = "",
) -> FetchAttempt:
    return FetchAttempt.objects.create(
        source=source,
        kind=FetchAttempt.Kind.PUSH,
        started_at=started_at,
        duration_ms=elapsed_ms(clock),
        bytes_received=len(body),
        outcome=FetchAttempt.Outcome.ERROR if error else FetchAttempt.Outcome.OK,
        **ingest_attempt_fields(parsed=parsed, stored=stored or StoreResult(), notes=[error]),
    )
