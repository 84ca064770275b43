"""A source's WebSub subscription over time: found at a poll, requested, renewed, expired, fallen back, ended.

While a subscription is verified the source is polled only every SAFETY_POLL. If the hub stops delivering
(no push for STALE_FACTOR times the source's usual gap between posts while a poll still finds new entries), the
source goes back to normal polling and subscribes afresh.
"""

import logging
from datetime import datetime, timedelta
from statistics import median

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from feeds.ingest import schedule
from feeds.ingest.fetch import FetchResult
from feeds.models import FetchAttempt, Source
from feeds.outcomes import recent_post_dates
from feeds.store_lock import write_transaction
from feeds.websub.discovery import HubLinks, discover
from feeds.websub.hub import site_unreachable_reason
from feeds.websub.models import WebSubPush, WebSubSubscription, new_callback_id

logger = logging.getLogger("feeds.websub")
State = WebSubSubscription.State
SAFETY_POLL = timedelta(hours=6)
STALE_FACTOR = 3
RETRY_AFTER = timedelta(hours=6)
# A lease is renewed this long before it ends (at most half the lease).
RENEW_AHEAD = timedelta(days=1)
VERIFY_TIMEOUT = timedelta(hours=1)
PUSH_RETENTION = timedelta(days=7)


def websub_after_poll(*, source: Source, fetched: FetchResult | None, attempt: FetchAttempt) -> None:
    """After a successful poll: follow the feed's hub, stretch the poll while pushed to, fall back when not.

    A failure here is logged and leaves the poll as recorded: push is an accelerator, polling goes on.
    """
    if not settings.WEBSUB_ENABLED or fetched is None or attempt.outcome == FetchAttempt.Outcome.ERROR:
        return
    try:
        with write_transaction():
            _after_poll(source, fetched, attempt)
    except Exception:
        logger.exception("websub: following the hub of %s failed; the source is polled as usual", source.slug)


def _after_poll(source: Source, fetched: FetchResult, attempt: FetchAttempt) -> None:
    current = WebSubSubscription.objects.current().filter(source=source).first()
    if fetched.body:
        links = discover(body=fetched.body, headers=fetched.headers, feed_url=fetched.url)
        current = _follow_links(source, current, links)
    if current is None or current.state != State.ACTIVE:
        return
    now = timezone.now()
    if attempt.entries_new and _hub_stopped_delivering(source, current, now):
        silent_since = current.last_push_at or current.verified_at
        _restart(
            current,
            note=f"The hub sent nothing since {silent_since:%Y-%m-%d %H:%M} UTC while a poll found "
            f"{attempt.entries_new} new entries: polling normally again and subscribing afresh.",
        )
        return
    # The hub pushes new entries: polls are only a safety net.
    Source.objects.filter(pk=source.pk, next_poll_at__lt=now + SAFETY_POLL).update(next_poll_at=now + SAFETY_POLL)


def _follow_links(source: Source, current: WebSubSubscription | None, links: HubLinks) -> WebSubSubscription | None:
    """The subscription for the hub the feed names now: kept, restarted, replaced, or ended when it names none."""
    topic = links.topic or source.feed_url
    if current is not None and (current.hub_url, current.topic_url) != (links.hub, topic):
        _end(current, note="The feed no longer names this hub and topic.")
        current = None
    if not links.hub:
        return None
    if current is None:
        current = WebSubSubscription.objects.create(source=source, hub_url=links.hub, topic_url=topic)
        _start(current)
    elif current.state == State.EXPIRED or (
        current.state in (State.DENIED, State.FAILED) and current.updated_at < timezone.now() - RETRY_AFTER
    ):
        _restart(current, note=f"Subscribing again (was: {current.get_state_display().lower()}).")
    elif current.retry_at is not None and current.retry_at <= timezone.now():
        # Held back while the hub's host was busy or paused; without Redis no maintenance task sends it.
        _request_again(current)
    return current


def _start(subscription: WebSubSubscription) -> None:
    """Queue the subscribe request, unless SITE_URL is one no hub could call back (then say so)."""
    unreachable = site_unreachable_reason()
    if unreachable:
        subscription.state, subscription.note = State.FAILED, unreachable
        subscription.save(update_fields=["state", "note", "updated_at"])
        return
    _enqueue("websub_subscribe", subscription.pk)


def _restart(subscription: WebSubSubscription, *, note: str) -> None:
    """Subscribe afresh: a new callback id (pushes to the old one are refused) and, with the request, a new secret."""
    subscription.callback_id, subscription.state, subscription.note = new_callback_id(), State.REQUESTING, note
    subscription.awaiting = subscription.secret = subscription.pending_secret = ""
    subscription.retry_at = None
    subscription.save(
        update_fields=["callback_id", "state", "note", "awaiting", "secret", "pending_secret", "retry_at", "updated_at"]
    )
    _start(subscription)


def _end(subscription: WebSubSubscription, *, note: str) -> None:
    """Unsubscribe a live subscription (through the worker); one that never went live just ends."""
    if subscription.live:
        subscription_unsubscribe_later(subscription=subscription, note=note)
    else:
        subscription.state, subscription.note, subscription.retry_at = State.UNSUBSCRIBED, note, None
        subscription.save(update_fields=["state", "note", "retry_at", "updated_at"])


def subscription_unsubscribe_later(*, subscription: WebSubSubscription, note: str) -> None:
    """Mark a subscription as ending and queue its unsubscribe request, after the current transaction commits."""
    subscription.state, subscription.note, subscription.retry_at = State.UNSUBSCRIBING, note, None
    subscription.save(update_fields=["state", "note", "retry_at", "updated_at"])
    _enqueue("websub_unsubscribe", subscription.pk)


def _hub_stopped_delivering(source: Source, subscription: WebSubSubscription, now: datetime) -> bool:
    heard_at = subscription.last_push_at or subscription.verified_at or now
    return now - heard_at > STALE_FACTOR * usual_gap(recent_post_dates(source=source))


def usual_gap(post_dates: list[datetime]) -> timedelta:
    """The median gap between a source's recent posts; the default poll interval while there are too few."""
    dates = sorted(post_dates, reverse=True)[: schedule.RECENT_POSTS]
    if len(dates) < schedule.MIN_POSTS_FOR_RATE:
        return schedule.default_interval()
    return max(median(newer - older for newer, older in zip(dates, dates[1:], strict=False)), schedule.MIN_INTERVAL)


def sources_subscriptions_end(*, source_ids: list[int], note: str) -> None:
    """Unsubscribe the live subscriptions of these sources (disabled or about to be deleted)."""
    for subscription in WebSubSubscription.objects.filter(
        source__in=source_ids, state__in=[State.PENDING, State.ACTIVE]
    ):
        subscription_unsubscribe_later(subscription=subscription, note=note)


def subscriptions_maintain(*, now: datetime | None = None) -> dict[str, int]:
    """Renew leases about to end, record those that ended, give up on unverified requests, end orphans."""
    now = now or timezone.now()
    done = {"renewed": 0, "expired": 0, "unverified": 0, "asked_again": 0, "held_back": 0, "ended": 0, "pruned": 0}
    with write_transaction():
        for subscription in _locked(Q(state=State.ACTIVE, expires_at__lte=now)):
            _expire(subscription, now)
            done["expired"] += 1
        # Requests held back while the hub's host was busy or paused, now that it may be asked.
        for subscription in _locked(Q(retry_at__lte=now)):
            _request_again(subscription)
            done["held_back"] += 1
        waiting = Q(retry_at__isnull=False)
        for subscription in _locked(Q(state=State.ACTIVE, awaiting="", expires_at__lte=now + RENEW_AHEAD) & ~waiting):
            if subscription.expires_at - now <= _renew_ahead(subscription) and _source_active(subscription):
                _enqueue("websub_subscribe", subscription.pk)
                done["renewed"] += 1
        for subscription in _locked(~Q(awaiting="") & Q(requested_at__lt=now - VERIFY_TIMEOUT)):
            _unverified(subscription, now)
            done["unverified"] += 1
        # A subscribe task lost on the way (a broker restart): ask again.
        for subscription in _locked(Q(state=State.REQUESTING, updated_at__lt=now - VERIFY_TIMEOUT) & ~waiting):
            if _source_active(subscription):
                _enqueue("websub_subscribe", subscription.pk)
                done["asked_again"] += 1
        orphans = Q(state__in=[State.PENDING, State.ACTIVE]) & (Q(source__isnull=True) | Q(source__is_active=False))
        for subscription in _locked(orphans):
            subscription_unsubscribe_later(subscription=subscription, note="The source was disabled or deleted.")
            done["ended"] += 1
    done["pruned"], _ = WebSubPush.objects.filter(received_at__lt=now - PUSH_RETENTION).delete()
    return done


def _locked(condition: Q) -> list[WebSubSubscription]:
    return list(WebSubSubscription.objects.select_for_update(skip_locked=True, of=("self",)).filter(condition))


def _renew_ahead(subscription: WebSubSubscription) -> timedelta:
    return min(RENEW_AHEAD, timedelta(seconds=(subscription.lease_seconds or 0) / 2))


def _source_active(subscription: WebSubSubscription) -> bool:
    return Source.objects.active().filter(pk=subscription.source_id).exists()


def _request_again(subscription: WebSubSubscription) -> None:
    """Send a held-back request: an unsubscribe for a subscription that is ending, else a subscribe (or renewal)."""
    subscription.retry_at = None
    subscription.save(update_fields=["retry_at", "updated_at"])
    if subscription.state == State.UNSUBSCRIBING:
        _enqueue("websub_unsubscribe", subscription.pk)
    elif _source_active(subscription):
        _enqueue("websub_subscribe", subscription.pk)


def _expire(subscription: WebSubSubscription, now: datetime) -> None:
    """Record the end of the lease; the source is polled normally at once, and that poll subscribes again."""
    subscription.state, subscription.expired_at, subscription.awaiting = State.EXPIRED, now, ""
    subscription.note = f"The lease ended at {subscription.expires_at:%Y-%m-%d %H:%M} UTC without a renewal."
    subscription.retry_at = None  # the poll that follows subscribes afresh
    subscription.save(update_fields=["state", "expired_at", "awaiting", "note", "retry_at", "updated_at"])
    Source.objects.active().filter(pk=subscription.source_id).update(next_poll_at=now)
    logger.warning("websub lease of %s at %s expired", subscription.topic_url, subscription.hub_url)


def _unverified(subscription: WebSubSubscription, now: datetime) -> None:
    """A request the hub never verified: a new subscription failed, an unsubscribe is taken as done."""
    mode, subscription.awaiting, subscription.pending_secret = subscription.awaiting, "", ""
    subscription.note = f"The hub did not verify our {mode} request within {VERIFY_TIMEOUT}."
    if subscription.state == State.PENDING:
        subscription.state = State.FAILED
    elif subscription.state == State.UNSUBSCRIBING:
        subscription.state, subscription.unsubscribed_at, subscription.secret = State.UNSUBSCRIBED, now, ""
    subscription.save()


def _enqueue(task_name: str, subscription_id: int) -> None:
    """Run a WebSub task by the worker once the current transaction commits (in-process without Redis)."""
    from feeds.websub import tasks  # the tasks call this module's services

    task = getattr(tasks, task_name)
    transaction.on_commit(lambda: task.delay(subscription_id))
