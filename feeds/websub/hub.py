"""Requests to a hub: subscribe and unsubscribe, sent through the fetcher's address policy and limits."""

import http.client
import ipaddress
import logging
from urllib.parse import urlsplit

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from feeds.ingest.addresses import address_allowed
from feeds.ingest.errors import FetchError
from feeds.ingest.fetch import post_form
from feeds.politeness import HostBackingOff, HostNotNow
from feeds.websub.models import WebSubSubscription, new_secret

logger = logging.getLogger("feeds.websub")
State = WebSubSubscription.State
SUBSCRIBE, UNSUBSCRIBE = "subscribe", "unsubscribe"


def callback_url(subscription: WebSubSubscription) -> str:
    """SITE_URL + /websub/<callback id>/: where the hub verifies and pushes."""
    return settings.SITE_URL + reverse("websub-callback", args=[subscription.callback_id])


def site_unreachable_reason() -> str:
    """Why a hub on the internet could not call SITE_URL back (blank when it looks reachable)."""
    host = (urlsplit(settings.SITE_URL).hostname or "").lower()
    try:
        private = not address_allowed(str(ipaddress.ip_address(host)))
    except ValueError:
        private = (host == "localhost" or host.endswith(".localhost")) and not settings.FEEDS_ALLOW_PRIVATE_ADDRESSES
    if not host or private:
        return (
            f"Not subscribed: SITE_URL ({settings.SITE_URL}) is not an address a hub on the internet can call back. "
            "Set SITE_URL to the site's public https:// address (README, WebSub push)."
        )
    return ""


def subscription_request(*, subscription: WebSubSubscription, mode: str) -> None:
    """Ask the hub to subscribe (or renew) or to unsubscribe; the hub then verifies through our callback.

    The mode awaited is saved before the request goes out: a hub may verify before it answers.
    """
    fields = {"hub.mode": mode, "hub.topic": subscription.topic_url, "hub.callback": callback_url(subscription)}
    if mode == SUBSCRIBE:
        subscription.pending_secret = new_secret()
        fields.update(
            {"hub.secret": subscription.pending_secret, "hub.lease_seconds": str(settings.WEBSUB_LEASE_SECONDS)}
        )
        if subscription.state != State.ACTIVE:
            subscription.state = State.PENDING
    else:
        subscription.state = State.UNSUBSCRIBING
    was_active = subscription.state == State.ACTIVE
    subscription.awaiting, subscription.requested_at, subscription.retry_at = mode, timezone.now(), None
    subscription.save(update_fields=["pending_secret", "state", "awaiting", "requested_at", "retry_at", "updated_at"])
    try:
        answer = post_form(subscription.hub_url, fields)
    except HostNotNow as error:
        _held_back(subscription, mode, error, was_active=was_active)
        return
    except FetchError as error:
        _refused(subscription, mode, f"The hub could not be reached: {error}")
        return
    if answer.host_pause is not None and answer.status in (429, 503):
        # It asked us to slow down (feeds/politeness paused its host): ask again when the pause ends.
        _held_back(subscription, mode, HostBackingOff(answer.host_pause), was_active=was_active, sent=True)
        return
    if not 200 <= answer.status < 300:
        reason = http.client.responses.get(answer.status, "error")
        _refused(subscription, mode, f"The hub answered HTTP {answer.status} ({reason}) to our {mode} request.")


def _held_back(
    subscription: WebSubSubscription, mode: str, error: HostNotNow, *, was_active: bool, sent: bool = False
) -> None:
    """The hub's host cannot be asked now (feeds/politeness): ask again when it can be.

    A renewal keeps its lease meanwhile; a new subscription waits to ask, an unsubscribe stays under way.
    """
    logger.info("websub %s of %s held back: %s", mode, subscription.topic_url, error)
    changes = {"awaiting": "", "pending_secret": "", "retry_at": error.retry_at, "updated_at": timezone.now()}
    said = "was answered" if sent else "was not sent"
    changes["note"] = f"Our {mode} request {said}: {error} It is sent again from {error.retry_at:%Y-%m-%d %H:%M} UTC."
    if mode == SUBSCRIBE and not was_active:
        changes["state"] = State.REQUESTING
    WebSubSubscription.objects.filter(pk=subscription.pk).update(**changes)


def _refused(subscription: WebSubSubscription, mode: str, message: str) -> None:
    """Record a request the hub did not accept: a new subscription fails, a renewal keeps its lease until it ends."""
    logger.warning("websub %s of %s: %s", mode, subscription.topic_url, message)
    now = timezone.now()
    changes = {"awaiting": "", "pending_secret": "", "note": message, "updated_at": now}
    if mode == UNSUBSCRIBE:
        changes.update(state=State.UNSUBSCRIBED, unsubscribed_at=now, secret="")
        changes["note"] = f"{message} Its pushes are refused from now on."
    elif subscription.state != State.ACTIVE:
        changes["state"] = State.FAILED
    WebSubSubscription.objects.filter(pk=subscription.pk).update(**changes)
