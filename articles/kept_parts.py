"""The post page's parts that many requests show alike, kept in the cache under digests of what they show.

- "meta" (description, Open Graph, JSON-LD) and "post" (the post, its labels, "Also covered by", its neighbours)
  show only what the post page's one query reads (articles/post_page.py): their key is a digest of that row.
- "comments", the approved comments, show only those comments.
Any change to what a part shows gives it a new key, so nothing needs dropping, and the parts are read in one
round trip. They are what makes a post page rendered on every request (PAGE_CACHE_SECONDS=0, or after a poll
dropped the page) cost about as much as the rest of its page: the comment form, the sidebar, the reader's own
pending comments, which are rendered live.
"""

import hashlib
from collections.abc import Callable

from django.conf import settings
from django.urls import get_script_prefix
from django.utils.safestring import SafeString, mark_safe

from articles.fragments import fragments_keep, fragments_read
from articles.models import Article
from articles.post_page import POST_PAGE_FIELDS, POST_PAGE_JSON
from articles.templatetags.cards import CARD_SECONDS, template_version

# The templates the kept parts are rendered from: a release that changes one never shows an older part.
PART_TEMPLATES = ("articles/detail.html", "includes/attribution.html", "articles/also_covered_by.html")
COMMENTS_TEMPLATE = "includes/comments.html"


def post_row_digest(article: Article) -> str:
    """A digest of everything the post page's query read for this post, and the settings its parts show."""
    shown = [_field_value(article, name) for name in POST_PAGE_FIELDS]
    shown += [getattr(article, name) for name in POST_PAGE_JSON]
    shown += [article.pk, settings.SITE_NAME, settings.SITE_URL, settings.TIME_ZONE, get_script_prefix()]
    return hashlib.blake2b(repr(shown).encode(), digest_size=16).hexdigest()


def _field_value(article: Article, name: str):
    value = article
    for part in name.split("__"):
        value = getattr(value, part)
    return value


def comments_key(comments) -> str:
    shown = [(comment.pk, comment.author_name, comment.body, comment.created_at.isoformat()) for comment in comments]
    digest = hashlib.blake2b(repr((shown, settings.TIME_ZONE)).encode(), digest_size=12).hexdigest()
    return f"comments:{template_version(COMMENTS_TEMPLATE)}:{digest}"


class KeptParts:
    """One post page's kept parts: read in one round trip, each rendered and kept when it is missing."""

    def __init__(self, article: Article, comments: list):
        digest = post_row_digest(article)
        version = "".join(template_version(name) for name in PART_TEMPLATES)
        self.keys = {name: f"post-part:{version}:{name}:{digest}" for name in ("meta", "post")}
        if comments:
            self.keys["comments"] = comments_key(comments)
        self.found = self._read()

    def html(self, name: str, render: Callable[[], str]) -> SafeString:
        """The part's HTML as kept, or render() kept now; rendered live if the part is unknown."""
        key = self.keys.get(name)
        if key is None:
            return mark_safe(render())  # noqa: S308 - the output of a template, which escapes
        html = self.found.get(key)
        if html is None:
            html = render()
            self._keep(key, html)
        return mark_safe(html)  # noqa: S308 - kept output of a template, which escapes

    def _read(self) -> dict:
        return fragments_read(list(self.keys.values()), "post page parts")

    @staticmethod
    def _keep(key: str, html: str) -> None:
        fragments_keep({key: html}, CARD_SECONDS, "post page parts")
