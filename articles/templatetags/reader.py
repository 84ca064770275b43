"""Template helpers for the reader's pages: comment text, the archive widget, structured data."""

import calendar
import json
import re

from django import template
from django.conf import settings
from django.template.loader import render_to_string
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

from articles.caching import cached_nearby
from articles.links import link as kept_link
from articles.models import Article
from articles.pagecache import ARCHIVE_KEY, sidebar_generation
from articles.search import highlighted_snippet
from articles.stories import also_covered_by

register = template.Library()

URL_PATTERN = re.compile(r"https?://[^\s<>\"']+", re.IGNORECASE)
TRAILING_PUNCTUATION = ".,;:!?)]}"
# Keeps a JSON-LD block from ending its <script> element early, whatever the text contains.
JSON_SCRIPT_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


def _link(match: re.Match) -> str:
    url = match.group(0)
    trailing = ""
    while url and url[-1] in TRAILING_PUNCTUATION:
        url, trailing = url[:-1], url[-1] + trailing
    return format_html('<a href="{}" rel="nofollow ugc">{}</a>{}', url, url, trailing)


def _linkify(text: str) -> str:
    """Raw reader text as HTML: everything escaped, http(s) URLs turned into links."""
    pieces, last = [], 0
    for match in URL_PATTERN.finditer(text):
        pieces.append(escape(text[last : match.start()]))
        pieces.append(_link(match))
        last = match.end()
    pieces.append(escape(text[last:]))
    return "".join(pieces)


@register.filter
def comment_html(text: str) -> SafeString:
    """A comment as escaped HTML: paragraphs and line breaks kept, http(s) links clickable."""
    paragraphs = [part.strip() for part in re.split(r"\n\s*\n", str(text).replace("\r\n", "\n")) if part.strip()]
    html = "".join(f"<p>{_linkify(paragraph).replace(chr(10), '<br>')}</p>" for paragraph in paragraphs)
    return mark_safe(html)  # noqa: S308 - every piece of reader text went through escape() or format_html()


@register.simple_tag
def blog_archive_widget() -> SafeString:
    """The "Blog archive" widget's HTML: post counts per year and month, newest first, rendered once per change."""
    # The sidebar's generation in the key: counts computed before a change committed are never kept after it.
    current_key = lambda: archive_key(sidebar_generation())  # noqa: E731 - read only when this process has no copy
    html = cached_nearby("blog-archive", current_key, _render_blog_archive, settings.PAGE_CACHE_SECONDS or 1)
    return mark_safe(html)  # noqa: S308 - the output of blog_archive.html, which escapes


def archive_key(generation) -> str:
    return f"{ARCHIVE_KEY}:{generation}"


def _render_blog_archive() -> str:
    return render_to_string("includes/blog_archive.html", {"years": _compute_archive_years()})


def _compute_archive_years() -> list[dict]:
    years: list[dict] = []
    for year, month, posts in Article.objects.published().month_counts():
        if not years or years[-1]["year"] != year:
            years.append({"year": year, "posts": 0, "months": []})
        years[-1]["posts"] += posts
        years[-1]["months"].append({"month": month, "name": calendar.month_name[month], "posts": posts})
    return years


@register.filter
def absolute(path: str) -> str:
    """A site path ("/...") as a full URL on SITE_URL; a full URL unchanged."""
    path = str(path)
    return settings.SITE_URL + path if path.startswith("/") else path


@register.simple_tag
def news_article_json_ld(article: Article) -> SafeString:
    """JSON-LD NewsArticle for a post, naming the original it is based on and the story's other copies."""
    data = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": article.title[:110],
        "url": settings.SITE_URL + article.get_absolute_url(),
        "mainEntityOfPage": settings.SITE_URL + article.get_absolute_url(),
        "datePublished": article.published_at.isoformat(),
        "dateModified": article.updated_at.isoformat(),
        "description": article.excerpt[:300],
        "isBasedOn": article.url,
        "publisher": {"@type": "Organization", "name": settings.SITE_NAME, "url": settings.SITE_URL + "/"},
        "sourceOrganization": _organization(article.source.name),
    }
    covered = [
        {"@type": "NewsArticle", "url": copy.url, "sourceOrganization": _organization(copy.source.name)}
        for copy in also_covered_by(article)
    ]
    if covered:
        # "Also covered by": the same story as the other sources published it.
        data["citation"] = covered
    if article.byline:
        data["author"] = {"@type": "Person", "name": article.byline}
    if article.image_url:
        data["image"] = [absolute(article.image_url)]
    text = json.dumps(data, ensure_ascii=False).translate(JSON_SCRIPT_ESCAPES)
    return mark_safe(f'<script type="application/ld+json">{text}</script>')  # noqa: S308 - JSON with <, >, & escaped


def _organization(name: str) -> dict:
    return {"@type": "Organization", "name": name}


@register.simple_tag
def search_snippet(post: Article, query: str) -> SafeString:
    """The post's text around the searched words, escaped, with the matches in <mark>."""
    return highlighted_snippet(post, query)


@register.simple_tag(name="link")
def link_tag(name: str, *args) -> str:
    """{% url %} for our own pages, reversed once per process (articles/links.py)."""
    return kept_link(name, *args)
