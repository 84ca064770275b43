"""Full-text search over published posts: PostgreSQL ranking and snippets, a plain fallback on SQLite."""

import re
from functools import cached_property

from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import F, Q, QuerySet
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from articles.models import Article
from articles.search_document import SEARCH_CONFIG

MAX_QUERY_CHARS = 200
SNIPPET_CHARS = 240
# Ranking reads every candidate's stored document, so a query matching most posts would cost time in proportion
# to the whole blog. Only the newest RANKED_MATCHES matches are ranked and listed: that bounds the worst case,
# keeps the recent posts readers look for, and is 50 pages of results, more than anyone pages through.
RANKED_MATCHES = 1000
# Control characters never occur in stored text, so they mark the highlights safely until escaping.
MARK_START, MARK_STOP = "\x02", "\x03"


def search_matches(query: str) -> QuerySet:
    """Every published post matching the query, unordered: for counting."""
    posts = Article.objects.published().order_by()
    if connection.vendor == "postgresql":
        return posts.filter(search_document=_terms(query))
    return _fallback_matches(posts, query)


def search_articles(query: str) -> QuerySet:
    """Published posts matching the query, best first among the newest RANKED_MATCHES, each with a `snippet`."""
    if connection.vendor == "postgresql":
        return _postgres_search(query)
    return search_matches(query).with_source().newest_first()


def _terms(query: str) -> SearchQuery:
    return SearchQuery(query, search_type="websearch", config=SEARCH_CONFIG)


def _postgres_search(query: str) -> QuerySet:
    terms = _terms(query)
    # A LIMIT on the newest matches: PostgreSQL reads them from the GIN index or walks the published_at index.
    newest = search_matches(query).newest_first().values("pk")[:RANKED_MATCHES]
    return (
        Article.objects.published()
        .with_source()
        .defer("search_document")
        .filter(pk__in=newest)
        .annotate(
            rank=SearchRank(F("search_document"), terms),
            snippet=SearchHeadline(
                "excerpt",
                terms,
                config=SEARCH_CONFIG,
                start_sel=MARK_START,
                stop_sel=MARK_STOP,
                max_fragments=2,
                max_words=30,
                min_words=12,
            ),
        )
        .order_by("-rank", "-published_at", "-id")
    )


class SearchPaginator(Paginator):
    """Pages of search_articles(); counts no further than RANKED_MATCHES + 1 matches, so a broad query stays cheap."""

    def __init__(self, query: str, *, per_page: int):
        super().__init__(search_articles(query), per_page)
        self.query = query

    @cached_property
    def found(self) -> int:
        """How many posts match, up to RANKED_MATCHES + 1 (one query)."""
        return search_matches(self.query)[: RANKED_MATCHES + 1].count()

    @property
    def capped(self) -> bool:
        """More posts match than are ranked and listed."""
        return self.found > RANKED_MATCHES

    @cached_property
    def count(self) -> int:
        return min(self.found, RANKED_MATCHES)


def _fallback_matches(posts: QuerySet, query: str) -> QuerySet:
    words = query_words(query)
    for word in words:
        posts = posts.filter(Q(title__icontains=word) | Q(excerpt__icontains=word))
    return posts if words else posts.none()


def query_words(query: str) -> list[str]:
    """The query's words, without websearch operators and quotes."""
    return [word for word in re.split(r"[\s\"'()]+", query) if word and word.lower() not in {"or", "-"}][:10]


def highlighted_snippet(post: Article, query: str) -> SafeString:
    """The post's snippet, escaped, with the matched words wrapped in <mark>."""
    snippet = getattr(post, "snippet", None)
    if snippet is None:
        snippet = _fallback_snippet(post.excerpt, query_words(query))
    html = escape(snippet).replace(MARK_START, "<mark>").replace(MARK_STOP, "</mark>")
    return mark_safe(html)  # noqa: S308 - the text was escaped above; only our own <mark> tags remain


def _fallback_snippet(text: str, words: list[str]) -> str:
    pattern = re.compile("|".join(re.escape(word) for word in words), re.IGNORECASE) if words else None
    first = pattern.search(text) if pattern else None
    start = max(0, first.start() - SNIPPET_CHARS // 3) if first else 0
    window = _whole_words(text, start, start + SNIPPET_CHARS, keep=first.start() if first else 0)
    if pattern is None:
        return window
    return pattern.sub(lambda match: f"{MARK_START}{match.group(0)}{MARK_STOP}", window)


def _whole_words(text: str, start: int, stop: int, *, keep: int) -> str:
    """text[start:stop] narrowed to whole words (never past `keep`), with an ellipsis where text was left out."""
    if start > 0 and not text[start - 1].isspace():
        start = _after_space(text, start, keep)
    if stop < len(text) and not text[stop].isspace():
        space = text.rfind(" ", start, stop)
        stop = space if space > start else stop
    window = text[start:stop].strip()
    return ("…" if start > 0 else "") + window + ("…" if stop < len(text) else "")


def _after_space(text: str, start: int, keep: int) -> int:
    space = text.find(" ", start, keep)
    return space + 1 if space != -1 else start
