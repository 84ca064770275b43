"""Anonymous page cache: whole rendered pages, dropped by what changed.

Every page belongs to one section, named from its URL: the home page and its pages ("home"), a source's
page and feeds ("source:<slug>"), a label's, an archive month or year, one post ("post:<year>-<month>-<slug>"),
our site-wide feeds and sitemap ("feeds"), search, trending. A cached page carries the generation of its
section and the site-wide epoch as they were when its render began; a change writes a new generation for
each section that can show it, in one write (posts_sections() says which), and a site-wide change (a source
or label renamed) a new epoch. No key is scanned, and pages of other sections stay warm: a new post drops
the lists it appears in, not the other posts' pages. The sidebar's widgets are their own section, so a
cached page may show a sidebar up to PAGE_CACHE_SECONDS old. Redis is an accelerator: when it fails, pages
are rendered as if nothing was cached.

Stale while one renders: when a change has dropped a page that readers keep asking for, the first request to
find it dropped renders it anew, holding a short render lock; meanwhile the others are served the copy from before,
if it is at most PAGE_CACHE_STALE_SECONDS out of date (post pages, where views are counted, are always rendered).
So a poll that drops the home page costs one render of it, not one in every web process at once (each render a
burst of queueing for every reader behind it), and no reader waits for it but the one rendering.
"""

import functools
import hashlib
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache import cache
from django.core.cache.backends.redis import RedisSerializer
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.urls import resolve
from django.utils.cache import patch_vary_headers
from redis.exceptions import RedisError

from articles.hotpages import hot_pages
from articles.models import Article, Label
from newsblog import metrics

logger = logging.getLogger(__name__)

EPOCH_KEY = "pages:epoch"
SECTION_KEY_PREFIX = "pages:section:"
# The sidebar's widgets (blog archive, newest posts): dropped with any change to the published posts.
SIDEBAR = "sidebar"
# Every change to a post can show on these: the lists of newest posts, our feeds, search, trending, the sidebar.
SITE_LISTS = ("home", "feeds", "search", "trending", SIDEBAR)
# Pages whose section is the same whatever their URL's arguments.
SECTION_OF_PAGE = {
    "home": "home",
    "atom": "feeds",
    "rss": "feeds",
    "sitemap": "feeds",
    "trending": "trending",
    "search": "search",
}
ARCHIVE_KEY = "pages:archive-html"
RENDER_LOCK_PREFIX = "pages:rendering:"
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
    # Scheme and host too: pages link to SITE_URL, but a page that ever shows the request's own origin
    # must not be served to readers who came by another.
    origin = (request.scheme, request.get_host())
    return hashlib.sha256(repr((origin, request.path, used)).encode()).hexdigest()


def section_key(section: str) -> str:
    return SECTION_KEY_PREFIX + section


def post_section(year: int, month: int, slug: str) -> str:
    return f"post:{year}-{month:02d}-{slug}"


def request_section(request: HttpRequest) -> str:
    """The section of the page this request asks for, from its URL."""
    match = request.resolver_match or resolve(request.path_info)
    name, kwargs = match.url_name, match.kwargs
    if name == "detail":
        return post_section(kwargs["year"], kwargs["month"], kwargs["slug"])
    if name in ("source", "source_atom", "source_rss"):
        return f"source:{kwargs['slug']}"
    if name in ("label", "label_atom", "label_rss"):
        return f"label:{kwargs['slug']}"
    if name == "month":
        return f"month:{kwargs['year']}-{kwargs['month']:02d}"
    if name == "year":
        return f"year:{kwargs['year']}"
    return SECTION_OF_PAGE.get(name, "site")


def posts_sections(ids: Iterable[int]) -> set[str]:
    """Every section whose pages can show these posts (two queries)."""
    ids = list(ids)
    rows = Article.objects.filter(pk__in=ids).values_list("url_year", "url_month", "slug", "source__slug")
    labels = Label.objects.filter(articles__in=ids).values_list("slug", flat=True).distinct()
    sections = set(SITE_LISTS) | {f"label:{slug}" for slug in labels}
    for year, month, slug, source_slug in rows:
        sections |= {post_section(year, month, slug), f"source:{source_slug}"}
        sections |= {f"month:{year}-{month:02d}", f"year:{year}"}
    return sections


def _post_keys(request: HttpRequest) -> tuple[str, str, str]:
    """The keys of a post page's epoch, generation and post id, kept beside the page as plain integers."""
    path_hash = _path_hash(request)
    return f"pages:post-epoch:{path_hash}", f"pages:post-generation:{path_hash}", f"pages:post-article:{path_hash}"


# The contract with the script that reads a cached post page and counts its view in one round trip
# (CACHED_PAGE_LUA in articles/popularity/counter.py): the keys it is given, in this order, each bound to a Lua local of
# this name (POST_PAGE_SCRIPT_LOCALS), so the script never spells a key's place or layout itself. The page entry
# it returns is Django's (generation, page) pair as page_cache_set stored it; page_from_redis decodes it.
# tests/articles/test_popularity_cached_page.py holds both sides to it.
POST_PAGE_SCRIPT_KEYS = ("epoch", "section_generation", "page_epoch", "page_generation", "page_article", "page")
POST_PAGE_SCRIPT_LOCALS = (
    f"local {', '.join(POST_PAGE_SCRIPT_KEYS)} = "
    + ", ".join(f"KEYS[{place}]" for place in range(1, len(POST_PAGE_SCRIPT_KEYS) + 1))
    + "\n"
)


def post_page_redis_keys(request: HttpRequest) -> list[str]:
    """Full Redis names of the keys POST_PAGE_SCRIPT_KEYS names, in its order."""
    page_epoch, page_generation, page_article = _post_keys(request)
    names = {
        "epoch": EPOCH_KEY,
        "section_generation": section_key(request_section(request)),
        "page_epoch": page_epoch,
        "page_generation": page_generation,
        "page_article": page_article,
        "page": _page_key(request),
    }
    return [cache.make_and_validate_key(names[name]) for name in POST_PAGE_SCRIPT_KEYS]


def page_from_redis(raw: bytes) -> CachedPage:
    """The page from a page entry read straight from Redis, decoded as Django's RedisCache stored it."""
    # RedisSerializer is not public API: the contract test fails if Django ever stores entries differently.
    return RedisSerializer().loads(raw)[1]


# (site-wide epoch, section generation); 0 for one never written.
Generation = tuple[int, int]


@dataclass(frozen=True)
class Lookup:
    """What the page cache held for a request, and the generation current when it was asked.

    A page rendered after a miss is stored under that generation, not the one current when the render
    ends: a change committed meanwhile has started a new generation, and the page may show the old state.
    """

    page: CachedPage | None
    generation: Generation | None
    readable: bool = True
    # The render lock this request holds while it renders a page others are served stale; page_cache_release().
    render_lock: str | None = None


def page_cache_get(request: HttpRequest, *, stale_while_rendering: bool = True) -> Lookup:
    """The cached page for this request, if it was rendered in its section's current generation; or, with
    stale_while_rendering, while another request renders it anew, the copy from before the change, when that copy
    is at most PAGE_CACHE_STALE_SECONDS out of date."""
    if not is_cacheable(request):
        return Lookup(None, None, readable=False)
    key = _page_key(request)
    hot = hot_pages.get(key)
    if hot is not None:
        metrics.PAGE_CACHE_HIT.inc()
        return Lookup(hot, None)
    section = section_key(request_section(request))
    try:
        found = cache.get_many([EPOCH_KEY, section, key])
    except RedisError as error:
        page_cache_read_failed(error)
        return Lookup(None, None, readable=False)
    generation, entry = (found.get(EPOCH_KEY, 0), found.get(section, 0)), found.get(key)
    if entry is not None and entry[0] == generation:
        metrics.PAGE_CACHE_HIT.inc()
        hot_pages.put(key, entry[1])
        return Lookup(entry[1], generation)
    if entry is not None and stale_while_rendering and _stale_for_at_most_the_bound(entry[0]):
        return _render_or_serve_the_copy(key, entry[1], generation)
    metrics.PAGE_CACHE_MISS.inc()
    return Lookup(None, generation)


def _render_or_serve_the_copy(key: str, copy: CachedPage, generation: Generation) -> Lookup:
    """A page a change dropped: render it under the render lock, or serve the copy from before while another does."""
    # One lock a generation: a render that outlives its lock, or renders an older generation, never lets go of
    # the lock a newer render holds.
    lock = f"{RENDER_LOCK_PREFIX}{key}:{generation[0]}.{generation[1]}"
    try:
        taken = cache.add(lock, 1, settings.PAGE_CACHE_STALE_SECONDS)
    except RedisError as error:
        page_cache_read_failed(error)
        return Lookup(None, generation)
    if not taken:
        metrics.PAGE_CACHE_STALE.inc()
        return Lookup(copy, generation)  # not kept hot: the new copy is a render away
    metrics.PAGE_CACHE_MISS.inc()
    return Lookup(None, generation, render_lock=lock)


def _stale_for_at_most_the_bound(copy_generation: Generation) -> bool:
    """Whether a copy rendered in this generation can be at most PAGE_CACHE_STALE_SECONDS out of date.

    A generation is the time of the change that began it, and any change that made the copy stale came after
    that: so the copy's generation, not the current one, bounds how long ago it began to be stale (after several
    changes, the current generation tells only when the last one came).
    """
    return time.time() - max(copy_generation) / 1e9 <= settings.PAGE_CACHE_STALE_SECONDS


def page_cache_release(lookup: Lookup) -> None:
    """Let go of the render lock this request took, once its render is stored or has failed."""
    if lookup.render_lock is None:
        return
    try:
        cache.delete(lookup.render_lock)
    except RedisError as error:
        logger.warning("page cache render lock not released; it expires by itself: %s", error)


def page_cache_hot(request: HttpRequest) -> CachedPage | None:
    """The page if this process read it as current in the last PAGE_CACHE_LOCAL_SECONDS."""
    page = hot_pages.get(_page_key(request)) if is_cacheable(request) else None
    if page is not None:
        metrics.PAGE_CACHE_HIT.inc()
    return page


def page_cache_keep_hot(request: HttpRequest, page: CachedPage) -> None:
    """Keep a page just read as current from the shared cache in this process for a few seconds."""
    hot_pages.put(_page_key(request), page)


def page_cache_read_failed(error: Exception) -> None:
    """Log a failed page cache read (the page is rendered instead)."""
    logger.warning("page cache read failed, rendering instead: %s", error)


def sidebar_generation() -> str | None:
    """The sidebar's current generation, for the keys of widgets dropped when the published posts change."""
    try:
        found = cache.get_many([EPOCH_KEY, section_key(SIDEBAR)])
    except RedisError as error:
        logger.warning("page cache read failed: %s", error)
        return None
    return f"{found.get(EPOCH_KEY, 0)}.{found.get(section_key(SIDEBAR), 0)}"


def page_cache_set(request: HttpRequest, page: CachedPage, lookup: Lookup) -> None:
    """Keep a freshly rendered page for the next anonymous reader, in the generation it was looked up in."""
    if not lookup.readable or not is_cacheable(request):
        return
    entries = {_page_key(request): (lookup.generation, page)}
    if page.article_id is not None:
        # So a script can check and count a cached post page without unpickling it; set_many writes
        # all four at once (MULTI), so they always agree.
        epoch_key, generation_key, article_key = _post_keys(request)
        epoch, generation = lookup.generation
        entries.update({epoch_key: epoch, generation_key: generation, article_key: page.article_id})
    try:
        cache.set_many(entries, settings.PAGE_CACHE_SECONDS)
    except RedisError as error:
        logger.warning("page cache write failed: %s", error)


def page_cache_invalidate(sections: Iterable[str] | None = None) -> None:
    """Drop the cached pages of these sections in one write; with none named, every page (a new epoch)."""
    keys = [EPOCH_KEY] if sections is None else [section_key(section) for section in sections]
    hot_pages.clear()  # this process shows its own change at once; the others within PAGE_CACHE_LOCAL_SECONDS
    try:
        cache.set_many(dict.fromkeys(keys, time.time_ns()), None)
    except RedisError as error:
        logger.error("page cache invalidation failed; pages may be stale until they expire: %s", error)


def page_cache_invalidate_posts(ids: Iterable[int]) -> None:
    """Drop the cached pages that can show these posts: their own, and the lists and sidebar they appear in."""
    page_cache_invalidate(posts_sections(ids))


def invalidate_comment_pages_on_commit(post_ids: Iterable[int]) -> None:
    """Drop these posts' own pages, where their comments show, once the current transaction commits."""
    post_ids = list(post_ids)

    def invalidate() -> None:
        rows = Article.objects.filter(pk__in=post_ids).values_list("url_year", "url_month", "slug")
        page_cache_invalidate([post_section(*row) for row in rows])

    transaction.on_commit(invalidate)


def invalidate_posts_on_commit(ids: Iterable[int]) -> None:
    """Drop the pages showing these posts once the current transaction commits (at once outside one)."""
    ids = list(ids)
    transaction.on_commit(lambda: page_cache_invalidate_posts(ids))


def cached_page(view):
    """Decorator: serve a view's 200 responses from the page cache for anonymous readers."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        lookup = page_cache_get(request)
        if lookup.page is not None:
            return lookup.page.to_response(request)
        try:
            response = view(request, *args, **kwargs)
            if hasattr(response, "render") and not response.is_rendered:
                response.render()
            if response.status_code == 200 and not response.streaming:
                page_cache_set(request, CachedPage(response.content, response["Content-Type"]), lookup)
                patch_vary_headers(response, ["Cookie"])
        finally:
            page_cache_release(lookup)
        return response

    return wrapper
