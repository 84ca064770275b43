"""Anonymous page cache: whole rendered pages, dropped when a post or an approved comment changes.

Every cached page carries the cache "generation" it was rendered in; an invalidation starts a new
generation, so one write drops every page at once without scanning keys. Redis is an accelerator:
when it fails, pages are rendered as if nothing was cached.
"""

import functools
import hashlib
import logging
import time
from dataclasses import dataclass

from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache import cache
from django.core.cache.backends.redis import RedisSerializer
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.utils.cache import patch_vary_headers
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

GENERATION_KEY = "pages:generation"
ARCHIVE_KEY = "pages:archive-html"
# Rendered in place of the CSRF token so one cached page serves every reader; swapped on the way out.
CSRF_PLACEHOLDER = "csrf-token-placeholder-8f2c1d"


@dataclass(frozen=True)
class CachedPage:
    """A rendered page as kept in the cache."""

    content: bytes
    content_type: str = "text/html; charset=utf-8"
    article_id: int | None = None

    def to_response(self, request: HttpRequest) -> HttpResponse:
        content = self.content
        if CSRF_PLACEHOLDER.encode() in content:
            content = content.replace(CSRF_PLACEHOLDER.encode(), get_token(request).encode())
        response = HttpResponse(content, content_type=self.content_type)
        patch_vary_headers(response, ["Cookie"])
        return response


def is_cacheable(request: HttpRequest) -> bool:
    """Only anonymous reads with nothing personal pending (no session, no flash message) share a page."""
    return (
        settings.PAGE_CACHE_SECONDS > 0
        and request.method in ("GET", "HEAD")
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and CookieStorage.cookie_name not in request.COOKIES
    )


def _page_key(request: HttpRequest) -> str:
    return "pages:page:" + _path_hash(request)


# The only query parameters our pages read; any other parameter is left out of the key, so a reader
# cannot fill the cache (or force renders) with /?x=1, /?x=2, ...
KEYED_PARAMETERS = ("page", "q", "p")  # p: the sitemap's own page number


def _path_hash(request: HttpRequest) -> str:
    used = [(name, request.GET.get(name, "")) for name in KEYED_PARAMETERS if name in request.GET]
    return hashlib.sha256(repr((request.path, used)).encode()).hexdigest()


def _post_keys(request: HttpRequest) -> tuple[str, str]:
    """The keys of a post page's generation and post id, kept beside the page as plain integers."""
    path_hash = _path_hash(request)
    return f"pages:post-generation:{path_hash}", f"pages:post-article:{path_hash}"


def post_page_redis_keys(request: HttpRequest) -> list[str]:
    """Full Redis names of the generation, a post page's generation and post id, and the page itself."""
    names = [GENERATION_KEY, *_post_keys(request), _page_key(request)]
    return [cache.make_and_validate_key(name) for name in names]


def page_from_redis(raw: bytes) -> CachedPage:
    """The page from a page entry read straight from Redis, decoded as Django's RedisCache stored it."""
    return RedisSerializer().loads(raw)[1]


@dataclass(frozen=True)
class Lookup:
    """What the page cache held for a request, and the generation current when it was asked.

    A page rendered after a miss is stored under that generation, not the one current when the render
    ends: a change committed meanwhile has started a new generation, and the page may show the old state.
    """

    page: CachedPage | None
    generation: int | None
    readable: bool = True


def page_cache_get(request: HttpRequest) -> Lookup:
    """The cached page for this request, if it was rendered in the current generation."""
    if not is_cacheable(request):
        return Lookup(None, None, readable=False)
    key = _page_key(request)
    try:
        found = cache.get_many([GENERATION_KEY, key])
    except RedisError as error:
        page_cache_read_failed(error)
        return Lookup(None, None, readable=False)
    generation, entry = found.get(GENERATION_KEY), found.get(key)
    if entry is None or entry[0] != generation:
        return Lookup(None, generation)
    return Lookup(entry[1], generation)


def page_cache_read_failed(error: Exception) -> None:
    """Log a failed page cache read (the page is rendered instead)."""
    logger.warning("page cache read failed, rendering instead: %s", error)


def page_generation() -> int | None:
    """The current cache generation, for fragments that must be dropped together with the pages."""
    try:
        return cache.get(GENERATION_KEY)
    except RedisError as error:
        logger.warning("page cache read failed: %s", error)
        return None


def page_cache_set(request: HttpRequest, page: CachedPage, lookup: Lookup) -> None:
    """Keep a freshly rendered page for the next anonymous reader, in the generation it was looked up in."""
    if not lookup.readable or not is_cacheable(request):
        return
    entries = {_page_key(request): (lookup.generation, page)}
    if page.article_id is not None:
        # So a script can check and count a cached post page without unpickling it; set_many writes
        # all three at once (MULTI), so they always agree.
        generation_key, article_key = _post_keys(request)
        entries.update({generation_key: lookup.generation or 0, article_key: page.article_id})
    try:
        cache.set_many(entries, settings.PAGE_CACHE_SECONDS)
    except RedisError as error:
        logger.warning("page cache write failed: %s", error)


def page_cache_invalidate() -> None:
    """Start a new generation: every cached page and the archive widget are rendered afresh."""
    try:
        cache.set(GENERATION_KEY, time.time_ns(), None)
    except RedisError as error:
        logger.error("page cache invalidation failed; pages may be stale until they expire: %s", error)


def cached_page(view):
    """Decorator: serve a view's 200 responses from the page cache for anonymous readers."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        lookup = page_cache_get(request)
        if lookup.page is not None:
            return lookup.page.to_response(request)
        response = view(request, *args, **kwargs)
        if hasattr(response, "render") and not response.is_rendered:
            response.render()
        if response.status_code == 200 and not response.streaming:
            page_cache_set(request, CachedPage(response.content, response["Content-Type"]), lookup)
            patch_vary_headers(response, ["Cookie"])
        return response

    return wrapper


def cache_get_or_compute(key: str, compute):
    """A cached value (e.g. a sidebar widget's data), computed and stored on a miss or a cache failure."""
    try:
        value = cache.get(key)
    except RedisError as error:
        logger.warning("cache read of %s failed: %s", key, error)
        return compute()
    if value is None:
        value = compute()
        try:
            cache.set(key, value, settings.PAGE_CACHE_SECONDS or 1)
        except RedisError as error:
            logger.warning("cache write of %s failed: %s", key, error)
    return value
