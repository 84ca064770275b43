"""The WebSub callback: GET is the hub's verification of intent, POST a pushed body.

Server to server, authenticated by the subscription's unguessable URL and the body's HMAC, so CSRF-exempt and
never cached. A POST costs one indexed query, a signature check and one insert; the worker ingests later.
"""

import logging

from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods
from redis.exceptions import RedisError

from feeds.websub.intent import DENIED, intent_denied, intent_verify
from feeds.websub.models import WebSubSubscription
from feeds.websub.push import MAX_PUSH_BYTES, push_accept
from newsblog import metrics
from operations.counters import window_count

logger = logging.getLogger("feeds.websub")
# Pushes a minute one subscription may make; a hub delivers a topic's updates, not a stream.
PUSHES_PER_MINUTE = 60
TEXT = "text/plain; charset=utf-8"


@csrf_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def callback(request: HttpRequest, callback_id: str) -> HttpResponse:
    if request.method == "GET":
        return _verification(request, callback_id)
    return _delivery(request, callback_id)


def _verification(request: HttpRequest, callback_id: str) -> HttpResponse:
    mode, topic = request.GET.get("hub.mode", ""), request.GET.get("hub.topic", "")
    if mode == DENIED:
        found = intent_denied(callback_id=callback_id, topic=topic, reason=request.GET.get("hub.reason", ""))
        return HttpResponse("", content_type=TEXT, status=200 if found else 404)
    challenge = intent_verify(
        callback_id=callback_id,
        mode=mode,
        topic=topic,
        challenge=request.GET.get("hub.challenge", ""),
        lease_seconds=request.GET.get("hub.lease_seconds", ""),
    )
    if challenge is None:
        return HttpResponse("Not a subscription we are waiting to verify.", content_type=TEXT, status=404)
    return HttpResponse(challenge, content_type=TEXT)


def _delivery(request: HttpRequest, callback_id: str) -> HttpResponse:
    subscription = (
        WebSubSubscription.objects.filter(callback_id=callback_id)
        .only("pk", "topic_url", "secret", "pending_secret", "state")
        .first()
    )
    if subscription is None:
        return HttpResponse("No such subscription.", content_type=TEXT, status=404)
    if not subscription.live:
        metrics.WEBSUB_PUSHES.labels(result="gone").inc()
        return HttpResponse("This subscription has ended.", content_type=TEXT, status=410)
    if _too_many(callback_id):
        return HttpResponse("Too many pushes; slow down.", content_type=TEXT, status=429, headers={"Retry-After": "60"})
    body = _body_within_cap(request)
    if body is None:
        metrics.WEBSUB_PUSHES.labels(result="too_large").inc()
        return HttpResponse(f"Bodies are limited to {MAX_PUSH_BYTES // 2**20} MiB.", content_type=TEXT, status=413)
    # Unsigned or wrongly signed bodies get a 2xx too, as the spec requires: they are counted and ignored.
    push_accept(
        subscription=subscription,
        body=body,
        signature=request.headers.get("X-Hub-Signature", ""),
        content_type=request.headers.get("Content-Type", ""),
    )
    return HttpResponse("", content_type=TEXT, status=202)


def _body_within_cap(request: HttpRequest) -> bytes | None:
    """The raw body, or None when it is larger than MAX_PUSH_BYTES (declared so, or as read)."""
    declared = request.META.get("CONTENT_LENGTH", "")
    if declared.isdigit() and int(declared) > MAX_PUSH_BYTES:
        return None
    body = request.read(MAX_PUSH_BYTES + 1)
    return None if len(body) > MAX_PUSH_BYTES else body


def _too_many(callback_id: str) -> bool:
    try:
        return window_count(f"websub-pushes:{callback_id}", 60) > PUSHES_PER_MINUTE
    except (RedisError, OSError):  # a cache outage must not lose pushes
        logger.warning("websub: cache unavailable, pushes not rate-limited", exc_info=True)
        return False
