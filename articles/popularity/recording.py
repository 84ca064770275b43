"""View counting and popular-post ranking: the public interface.

The post page calls view_record on every GET. A view counts once per visitor and post per 30 minutes,
never for bots, prefetches, HEAD or non-200 responses. With Redis the count is one round trip on the
request path and flush_views moves it into the database every minute; without Redis (the embedded
default) the daily row is written directly.
"""

import logging
import threading
import time
from datetime import date, datetime

import redis
from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone
from django.utils.crypto import salted_hmac

from articles import view_counter
from articles.bots import is_bot, is_prefetch
from articles.models import Article, ArticleDailyViews, ViewFlush
from articles.pagecache import (
    CachedPage,
    is_cacheable,
    page_cache_read_failed,
    page_from_redis,
    post_page_redis_keys,
)
from articles.ranking import popular, trending
from articles.view_flush import FlushResult, flush_views
from newsblog import metrics
from newsblog.client import client_network
from newsblog.counters import window_count

__all__ = [
    "FlushResult",
    "counter_status",
    "flush_views",
    "last_flush_at",
    "popular",
    "trending",
    "view_record",
    "view_record_cached_page",
]

logger = logging.getLogger(__name__)

WARNING_INTERVAL_SECONDS = 60
# After a failure the counter is left alone this long, so a hanging Redis costs readers one timeout, not one each.
RETRY_SECONDS = 5
# Set on the request by CountViewsMiddleware: views wait there until the response is known to be a 200.
DEFERRED_ATTR = "_popular_deferred_views"


class CounterOutage:
    """Remembers that the counter Redis failed: skips it for a few seconds and warns at most once a minute."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        self.skip_until = self.warned_at = float("-inf")
        self.dropped = 0

    def active(self) -> bool:
        return time.monotonic() < self.skip_until

    def dropped_one(self) -> None:
        metrics.VIEWS_DROPPED.inc()
        with self._lock:
            self.dropped += 1

    def failed(self, error: Exception) -> None:
        metrics.VIEWS_DROPPED.inc()
        now = time.monotonic()
        with self._lock:
            self.dropped += 1
            self.skip_until = now + RETRY_SECONDS
            if now - self.warned_at < WARNING_INTERVAL_SECONDS:
                return
            self.warned_at = now
        logger.warning("View counter Redis is unreachable, views are being dropped: %s", error)

    def recovered(self) -> None:
        """Say how many views this process lost, once the counter answers again."""
        with self._lock:
            dropped, self.dropped = self.dropped, 0
        if dropped:
            logger.warning("View counter Redis is back; %d views were dropped while it was unreachable", dropped)


outage = CounterOutage()


def view_record(*, request: HttpRequest, article_id: int) -> None:
    """Count one view of a post; the post view calls this on every GET, cached page or not."""
    if not request_counts(request):
        return
    deferred = getattr(request, DEFERRED_ATTR, None)
    if deferred is not None:
        deferred.append(article_id)
        return
    view_count(request=request, article_id=article_id)


def view_record_cached_page(*, request: HttpRequest) -> CachedPage | None:
    """The cached post page with its view already counted, or None (nothing counted) to render and count as usual."""
    if not (settings.REDIS_URL and request_counts(request) and is_cacheable(request)) or outage.active():
        return None
    # Reading the page and counting the view in one script is one Redis round trip instead of two, which is
    # most of what a cached page costs.
    try:
        raw = view_counter.record_cached_page(
            page_keys=post_page_redis_keys(request),
            visitor=visitor_hash(request),
            address=address_hash(request),
            day=timezone.localdate(),
        )
    except redis.RedisError as error:
        # Nothing was counted: the render path counts the view, or reports it dropped with the outage.
        page_cache_read_failed(error)
        return None
    if outage.dropped:
        outage.recovered()
    if raw is None:
        return None
    metrics.PAGE_CACHE_HIT.inc()
    metrics.VIEWS_RECORDED.inc()
    return page_from_redis(raw)


def request_counts(request: HttpRequest) -> bool:
    """True for a GET by a person: not a bot, link preview, HTTP library or speculative prefetch."""
    return request.method == "GET" and not is_bot(request.META.get("HTTP_USER_AGENT", "")) and not is_prefetch(request)


def view_count(*, request: HttpRequest, article_id: int) -> bool:
    """Count the view now (after the request was found to count); True unless deduplicated or dropped."""
    visitor, address = visitor_hash(request), address_hash(request)
    day = timezone.localdate()
    if not settings.REDIS_URL:
        counted = _record_embedded(article_id=article_id, visitor=visitor, address=address, day=day)
        metrics.VIEWS_RECORDED.inc(counted)
        return counted
    if outage.active():
        outage.dropped_one()
        return False
    try:
        counted = view_counter.record(article_id=article_id, visitor=visitor, address=address, day=day)
    except redis.RedisError as error:
        outage.failed(error)
        return False
    metrics.VIEWS_RECORDED.inc()
    if outage.dropped:
        outage.recovered()
    return counted


def visitor_hash(request: HttpRequest) -> str:
    """The visitor's identity: a salted hash of address (an IPv6 /64) and user agent (the address is never kept)."""
    raw = f"{client_network(request)}\n{request.META.get('HTTP_USER_AGENT', '')}"
    return salted_hmac("newsblog.popularity.visitor", raw, algorithm="sha256").hexdigest()[:32]


def address_hash(request: HttpRequest) -> str:
    """The visitor's address (an IPv6 /64) alone, salted and hashed: what the cap on views per address counts."""
    return salted_hmac("newsblog.popularity.address", client_network(request), algorithm="sha256").hexdigest()[:32]


def _record_embedded(*, article_id: int, visitor: str, address: str, day: date) -> bool:
    """Without Redis: dedupe and cap through the cache and add to the daily row and the total with F()."""
    if not cache.add(f"views:seen:{article_id}:{visitor}", 1, view_counter.DEDUPE_SECONDS):
        return False
    address_views = window_count(f"views:addr:{article_id}:{address}", view_counter.DEDUPE_SECONDS)
    if address_views > view_counter.VIEWS_PER_ADDRESS:
        return False
    first_today = cache.add(f"views:uv:{day.isoformat()}:{article_id}:{visitor}", 1, 2 * 24 * 3600)
    changes = {"views": F("views") + 1, "unique_visitors": F("unique_visitors") + int(first_today)}
    with transaction.atomic():
        rows = ArticleDailyViews.objects.filter(article_id=article_id, date=day)
        if not rows.update(**changes):
            try:
                with transaction.atomic():
                    ArticleDailyViews.objects.create(
                        article_id=article_id, date=day, views=1, unique_visitors=int(first_today)
                    )
            except IntegrityError:
                rows.update(**changes)
        Article.objects.filter(pk=article_id).update(total_views=F("total_views") + 1)
    return True


def counter_status() -> str:
    """ "ok", "down: <reason>" when the counter Redis does not answer, or "embedded" without Redis."""
    if not settings.REDIS_URL:
        return "embedded"
    try:
        view_counter.counter_client().ping()
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
        stamp = view_counter.counter_client().get(view_counter.LAST_FLUSH_KEY)
    except redis.RedisError:
        stamp = None
    if stamp:
        return datetime.fromisoformat(stamp.decode())
    latest = ViewFlush.objects.order_by("-applied_at").values_list("applied_at", flat=True).first()
    return latest
