"""Post cards for the lists, each rendered once and then read from the cache, a page's worth in one round trip.

A card's cache key is a digest of everything the card shows, so any change to a post, its source's name or
the site's time zone makes a new key: nothing needs dropping, and an unchanged card survives every new poll.
"""

import functools
import hashlib

from django import template
from django.conf import settings
from django.template.loader import get_template
from django.urls import get_script_prefix
from django.utils.safestring import SafeString, mark_safe

from articles.fragments import fragments_keep, fragments_read
from articles.models import Article

register = template.Library()

CARD_SECONDS = 24 * 60 * 60
CARD_TEMPLATE = "includes/post_card.html"


@functools.cache
def template_version(name: str) -> str:
    """A digest of a template's source: a release that changes a kept fragment never shows an older one's."""
    source = get_template(name).template.source
    return hashlib.blake2b(source.encode(), digest_size=6).hexdigest()


def card_version() -> str:
    return template_version(CARD_TEMPLATE)


def card_key(post: Article) -> str:
    shown = (
        post.pk,
        post.title,
        post.excerpt,
        post.image_url,
        post.is_featured,
        post.published_at.isoformat(),
        post.source.name,
        post.source.slug,
        post.url_year,
        post.url_month,
        post.slug,
        settings.TIME_ZONE,
        get_script_prefix(),
    )
    digest = hashlib.blake2b(repr(shown).encode(), digest_size=12).hexdigest()
    return f"card:{card_version()}:{post.pk}:{digest}"


@register.simple_tag(takes_context=True)
def post_cards(context, posts) -> SafeString:
    """The cards of a list's posts, in order: cached ones read in one round trip, the rest rendered and kept."""
    keys = [card_key(post) for post in posts]
    cached = _read(keys)
    card = get_template(CARD_TEMPLATE)
    rendered = {
        key: card.render({"post": post}, context.get("request"))
        for key, post in zip(keys, posts, strict=True)
        if key not in cached
    }
    if rendered:
        _keep(rendered)
    html = "".join(cached.get(key) or rendered[key] for key in keys)
    return mark_safe(html)  # noqa: S308 - every card is the output of post_card.html, which escapes


def _read(keys: list[str]) -> dict[str, str]:
    return fragments_read(keys, "card")


def _keep(cards: dict[str, str]) -> None:
    fragments_keep(cards, CARD_SECONDS, "card")
