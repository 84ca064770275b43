"""Full-text search over published posts: PostgreSQL ranking and snippets, a plain fallback on SQLite."""

import re

from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank, SearchVector
from django.db import connection
from django.db.models import Q, QuerySet
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from articles.models import Article

MAX_QUERY_CHARS = 200
SNIPPET_CHARS = 240
# Control characters never occur in stored text, so they mark the highlights safely until escaping.
MARK_START, MARK_STOP = "\x02", "\x03"
SEARCH_CONFIG = "english"


def search_vector() -> SearchVector:
    """The indexed document; the GIN index in migration 0002 is built on exactly this expression."""
    return SearchVector("title", weight="A", config=SEARCH_CONFIG) + SearchVector(
        "excerpt", weight="B", config=SEARCH_CONFIG
    )


def search_articles(query: str) -> QuerySet:
    """Published posts matching the query, best first, each with a `snippet` text attribute."""
    posts = Article.objects.published().with_source()
    if connection.vendor == "postgresql":
        return _postgres_search(posts, query)
    return _fallback_search(posts, query)


def _postgres_search(posts: QuerySet, query: str) -> QuerySet:
    terms = SearchQuery(query, search_type="websearch", config=SEARCH_CONFIG)
    vector = search_vector()
    return (
        posts.alias(document=vector)
        .filter(document=terms)
        .annotate(
            rank=SearchRank(vector, terms),
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


def _fallback_search(posts: QuerySet, query: str) -> QuerySet:
    words = query_words(query)
    for word in words:
        posts = posts.filter(Q(title__icontains=word) | Q(excerpt__icontains=word))
    return posts.newest_first() if words else posts.none()


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
    if not words:
        return text[:SNIPPET_CHARS]
    pattern = re.compile("|".join(re.escape(word) for word in words), re.IGNORECASE)
    first = pattern.search(text)
    start = max(0, first.start() - SNIPPET_CHARS // 3) if first else 0
    window = text[start : start + SNIPPET_CHARS]
    return pattern.sub(lambda match: f"{MARK_START}{match.group(0)}{MARK_STOP}", window)
