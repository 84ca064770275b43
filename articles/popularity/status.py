"""The counter's health as /healthz and the metrics report it: does Redis answer, when did a flush last finish."""

import logging
from datetime import datetime

import redis
from django.conf import settings

from articles.models import ViewFlush
from articles.popularity import counter

logger = logging.getLogger(__name__)


def counter_status() -> str:
    """ "ok", "down: <reason>" when the counter Redis does not answer, or "embedded" without Redis."""
    if not settings.REDIS_URL:
        return "embedded"
    try:
        counter.counter_client().ping()
    except redis.RedisError as error:
        # Shown on the public /healthz: the kind of failure only; hosts and ports go to the log.
        logger.warning("view counter Redis does not answer: %s", error)
        return f"down: {type(error).__name__}"
    return "ok"


def last_flush_at() -> datetime | None:
    """When the last successful flush finished (from any process), or None if none ever did."""
    if not settings.REDIS_URL:
        return None
    try:
        stamp = counter.counter_client().get(counter.LAST_FLUSH_KEY)
    except redis.RedisError:
        stamp = None
    if stamp:
        return datetime.fromisoformat(stamp.decode())
    latest = ViewFlush.objects.order_by("-applied_at").values_list("applied_at", flat=True).first()
    return latest
