"""Verification of intent: the hub's GET on our callback, answered only for a request we made and wait on."""

import logging
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from feeds.store_lock import write_transaction
from feeds.websub.hub import SUBSCRIBE, UNSUBSCRIBE
from feeds.websub.models import WebSubSubscription

logger = logging.getLogger("feeds.websub")
State = WebSubSubscription.State
DENIED = "denied"
MAX_LEASE_SECONDS = 10 * 365 * 24 * 3600


def intent_verify(*, callback_id: str, mode: str, topic: str, challenge: str, lease_seconds: str) -> str | None:
    """The challenge to echo when the hub verifies the mode and topic we asked for; None (a 404) otherwise."""
    if not challenge or mode not in (SUBSCRIBE, UNSUBSCRIBE):
        return None
    with write_transaction():
        subscription = _locked(callback_id)
        if subscription is None or subscription.awaiting != mode or subscription.topic_url != topic:
            return None
        if mode == SUBSCRIBE:
            _verified(subscription, lease_seconds)
        else:
            _unsubscribed(subscription)
    return challenge


def intent_denied(*, callback_id: str, topic: str, reason: str) -> bool:
    """Record the hub's refusal (hub.mode=denied) of a subscription of ours to that topic; False if none."""
    with write_transaction():
        subscription = _locked(callback_id)
        if subscription is None or subscription.topic_url != topic or not subscription.live:
            return False
        now = timezone.now()
        subscription.state, subscription.denied_at, subscription.awaiting = State.DENIED, now, ""
        subscription.secret = subscription.pending_secret = ""
        subscription.note = f"The hub denied the subscription: {reason[:500] or 'no reason given'}."
        subscription.save()
    logger.warning("websub subscription to %s denied: %s", topic, reason[:500])
    return True


def _locked(callback_id: str) -> WebSubSubscription | None:
    return WebSubSubscription.objects.select_for_update().filter(callback_id=callback_id).first()


def _verified(subscription: WebSubSubscription, lease_seconds: str) -> None:
    """The hub confirmed our subscribe (or renewal): its lease starts now and pushes are signed with the new secret."""
    now = timezone.now()
    # The spec makes hub.lease_seconds required; a hub leaving it out gets the lease we asked for.
    lease = int(lease_seconds) if lease_seconds.isdigit() else settings.WEBSUB_LEASE_SECONDS
    lease = min(lease, MAX_LEASE_SECONDS) or settings.WEBSUB_LEASE_SECONDS
    subscription.state, subscription.awaiting, subscription.verified_at = State.ACTIVE, "", now
    subscription.lease_seconds = lease
    subscription.expires_at = now + timedelta(seconds=lease)
    subscription.secret, subscription.pending_secret = subscription.pending_secret, ""
    subscription.note = ""
    subscription.save()


def _unsubscribed(subscription: WebSubSubscription) -> None:
    now = timezone.now()
    subscription.state, subscription.awaiting, subscription.unsubscribed_at = State.UNSUBSCRIBED, "", now
    subscription.secret = subscription.pending_secret = ""
    subscription.save()
