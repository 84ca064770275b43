"""The popular-posts widget, rendered from a fragment cached for 60 s."""

from django import template
from django.conf import settings
from django.template.loader import render_to_string

from articles.pagecache import sidebar_generation
from articles.ranking import CACHE_SECONDS, cached, popular_or_newest

register = template.Library()

# Bump when the widget's markup changes, so no stale fragment outlives a deploy.
FRAGMENT_VERSION = 1


@register.simple_tag
def popular_posts_widget() -> str:
    """The widget's HTML: at most one query on a cache miss, none on a hit."""
    window, count = settings.POPULAR_WINDOW, settings.POPULAR_COUNT
    thumbnails, snippet_chars = settings.POPULAR_THUMBNAILS, settings.POPULAR_SNIPPET_CHARS
    # The sidebar's generation in the key: a post hidden or added drops the widget.
    generation = sidebar_generation()
    key = f"popular-widget:{FRAGMENT_VERSION}:{generation}:{window}:{count}:{int(thumbnails)}:{snippet_chars}"

    def render() -> str:
        posts, is_popular = popular_or_newest(window, count)
        context = {
            "posts": posts,
            "is_popular": is_popular,
            "thumbnails": thumbnails,
            "snippet_chars": snippet_chars,
        }
        return render_to_string("includes/popular_posts_list.html", context)

    return cached(key, render, CACHE_SECONDS)
