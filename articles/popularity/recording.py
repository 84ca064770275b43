"""The request path of view counting: which requests count, and counting one view (Redis, or the embedded default).

The post page calls view_record on every GET. A view counts once per visitor and post per 30 minutes,
never for bots, prefetches, HEAD or non-200 responses. With Redis the count is one round trip on the
request path and flush_views moves it into the database every minute; without Redis (the embedded
default) the daily row is written directly.
"""

import redis
from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone

from articles.bots import is_bot, is_prefetch
from articles.pagecache import (
    CachedPage,
    is_cacheable,
    page_cache_read_failed,
    page_from_redis,
    post_page_redis_keys,
)
from articles.popularity import counter
from articles.popularity.embedded import record_embedded
from articles.popularity.outage import outage
from articles.popularity.visitors import address_hash, visitor_hash
from newsblog import metrics

# Set on the request by CountViewsMiddleware: views wait there until the response is known to be a 200.
DEFERRED_ATTR = "_popular_deferred_views"


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
        raw = counter.record_cached_page(
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
        counted = record_embedded(article_id=article_id, visitor=visitor, address=address, day=day)
        metrics.VIEWS_RECORDED.inc(counted)
        return counted
    if outage.active():
        outage.dropped_one()
        return False
    try:
        counted = counter.record(article_id=article_id, visitor=visitor, address=address, day=day)
    except redis.RedisError as error:
        outage.failed(error)
        return False
    metrics.VIEWS_RECORDED.inc()
    if outage.dropped:
        outage.recovered()
    return counted
