"""WebSub's Celery tasks: thin shells that load by id, call one service and own their retry policy."""

from celery import shared_task

from feeds.ingest.errors import TRANSIENT_DATABASE_ERRORS
from feeds.websub.hub import SUBSCRIBE, UNSUBSCRIBE, subscription_request
from feeds.websub.lifecycle import subscriptions_maintain
from feeds.websub.models import WebSubPush, WebSubSubscription
from feeds.websub.push import push_ingest

State = WebSubSubscription.State
TRANSIENT = TRANSIENT_DATABASE_ERRORS


@shared_task(acks_late=True, ignore_result=True, autoretry_for=TRANSIENT, retry_backoff=30, max_retries=3)
def websub_subscribe(subscription_id: int) -> None:
    """Send a subscription's subscribe (or renewal) request to its hub, if its source is still active."""
    subscription = (
        WebSubSubscription.objects.filter(pk=subscription_id, source__is_active=True)
        .exclude(state__in=[State.UNSUBSCRIBING, State.UNSUBSCRIBED])
        .first()
    )
    if subscription is not None:
        subscription_request(subscription=subscription, mode=SUBSCRIBE)


@shared_task(acks_late=True, ignore_result=True, autoretry_for=TRANSIENT, retry_backoff=30, max_retries=3)
def websub_unsubscribe(subscription_id: int) -> None:
    """Send a subscription's unsubscribe request to its hub (the source may be gone)."""
    subscription = WebSubSubscription.objects.filter(pk=subscription_id, state=State.UNSUBSCRIBING).first()
    if subscription is not None:
        subscription_request(subscription=subscription, mode=UNSUBSCRIBE)


@shared_task(acks_late=True, ignore_result=True, autoretry_for=TRANSIENT, retry_backoff=5, max_retries=5)
def websub_ingest_push(push_id: int) -> None:
    """Ingest a pushed body kept by the callback (parse, sanitize, store), once."""
    push = (
        WebSubPush.objects.select_related("subscription__source").filter(pk=push_id, ingested_at__isnull=True).first()
    )
    if push is not None:
        push_ingest(push=push)


@shared_task(acks_late=True, ignore_result=True, autoretry_for=TRANSIENT, retry_backoff=60, max_retries=1)
def websub_maintain() -> dict[str, int]:
    """Renew leases before they end, record expiries, end orphaned subscriptions (beat runs this every 5 min)."""
    return subscriptions_maintain()
