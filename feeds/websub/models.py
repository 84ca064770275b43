"""WebSub subscriptions (one row a subscription to a hub, kept after it ends) and pushes waiting for the worker."""

import secrets

from django.db import models
from django.utils import timezone


def new_callback_id() -> str:
    """The unguessable last part of a subscription's callback URL."""
    return secrets.token_urlsafe(32)


def new_secret() -> str:
    """A fresh hub.secret: the key of the HMAC that signs every push of one subscription."""
    return secrets.token_urlsafe(48)


class SubscriptionQuerySet(models.QuerySet):
    def current(self):
        """Subscriptions not ended by an unsubscribe: at most one a source is the one its pushes go to."""
        return self.exclude(state__in=[WebSubSubscription.State.UNSUBSCRIBING, WebSubSubscription.State.UNSUBSCRIBED])


class WebSubSubscription(models.Model):
    """A subscription to a hub for one topic (a source's feed), with each step of its life recorded."""

    class State(models.TextChoices):
        REQUESTING = "requesting", "Waiting to ask the hub"
        PENDING = "pending", "Asked; waiting for the hub to verify"
        ACTIVE = "active", "Subscribed and verified"
        DENIED = "denied", "Denied by the hub"
        EXPIRED = "expired", "Lease expired"
        FAILED = "failed", "Not subscribed"
        UNSUBSCRIBING = "unsubscribing", "Unsubscribing"
        UNSUBSCRIBED = "unsubscribed", "Unsubscribed"

    # Kept (null) when the source is deleted: the hub's unsubscribe verification still needs the row.
    source = models.ForeignKey(
        "feeds.Source", null=True, blank=True, on_delete=models.SET_NULL, related_name="websub_subscriptions"
    )
    hub_url = models.URLField("hub", max_length=2000)
    topic_url = models.URLField("topic", max_length=2000)
    callback_id = models.CharField(max_length=64, unique=True, default=new_callback_id, editable=False)
    secret = models.CharField(max_length=128, blank=True, editable=False)
    # Sent with the latest subscribe request; it becomes `secret` when the hub verifies that request.
    pending_secret = models.CharField(max_length=128, blank=True, editable=False)
    state = models.CharField(max_length=15, choices=State.choices, default=State.REQUESTING)
    # The hub.mode we asked for and wait to see verified ("subscribe", "unsubscribe"); only it is answered.
    awaiting = models.CharField(max_length=12, blank=True)
    lease_seconds = models.PositiveIntegerField(null=True, blank=True)
    requested_at = models.DateTimeField(null=True, blank=True)
    # A request held back because the hub's host could not be asked (busy, or paused: feeds/politeness): it is
    # sent again from this time on (by the maintenance task, or the source's next poll).
    retry_at = models.DateTimeField("request again at", null=True, blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField("lease ends", null=True, blank=True)
    denied_at = models.DateTimeField(null=True, blank=True)
    expired_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)
    last_push_at = models.DateTimeField(null=True, blank=True)
    pushes = models.PositiveIntegerField("pushes received", default=0)
    # Bodies answered 2xx (as the spec requires) but ignored: unsigned or wrongly signed.
    pushes_rejected = models.PositiveIntegerField("pushes with a bad signature", default=0)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SubscriptionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "WebSub subscription"

    def __str__(self):
        return f"{self.topic_url} at {self.hub_url}: {self.get_state_display()}"

    @property
    def live(self) -> bool:
        """The hub may push to it: verified, or asked and waiting for verification."""
        return self.state in (self.State.PENDING, self.State.ACTIVE)


class WebSubPush(models.Model):
    """A signed body a hub pushed, kept until the worker has ingested it; its digest stays to refuse replays."""

    subscription = models.ForeignKey(WebSubSubscription, on_delete=models.CASCADE, related_name="push_bodies")
    received_at = models.DateTimeField(default=timezone.now)
    digest = models.CharField(max_length=64)
    content_type = models.CharField(max_length=200, blank=True)
    # Emptied once ingested.
    body = models.BinaryField(blank=True)
    ingested_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["subscription", "digest"], name="websub_push_once")]
        indexes = [models.Index(fields=["received_at"], name="websub_push_received_idx")]

    def __str__(self):
        return f"push to {self.subscription_id} at {self.received_at:%Y-%m-%d %H:%M}"
