"""Re-extraction of stored posts when a source's selectors or content mode change (applying rules, rules_apply.py).

A post may have left the feed long ago, so its body is rebuilt from what can still be had: in full-text mode its
article page, fetched again through the full-text stage (the same fetcher, limits and per-host politeness); in
feed mode its stored content with the selectors applied again; in excerpt mode its stored excerpt and a link.
Every body goes through the one sanitize policy. A post that cannot be re-extracted keeps its body, and why is
said; it never stops the others.
"""

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial

from django.conf import settings
from lxml import etree

from articles.models import EXCERPT_MAX_CHARS, Article
from feeds.ingest.errors import error_summary
from feeds.ingest.extract import FullText, full_text
from feeds.ingest.selectors import without_selected
from feeds.models import ContentMode, Source
from feeds.politeness import HostBusy
from feeds.republishing import excerpt_only
from untrusted.sanitize import excerpt_from_html, sanitize_html

logger = logging.getLogger("feeds.rules")


@dataclass
class Reextracted:
    """New bodies and excerpts by post id, and one line for each post that kept its body, saying why."""

    bodies: dict[int, tuple[str, str]] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)


def posts_reextract(*, source: Source, posts: list[Article], selectors: list[etree.XPath]) -> Reextracted:
    """The posts' bodies rebuilt with the source's current content mode and selectors (nothing is written)."""
    result = Reextracted()
    if source.content_mode == ContentMode.FULL_TEXT:
        workers = settings.FEEDS_HOST_MAX_IN_FLIGHT
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="re-extract") as pool:
            pages = list(pool.map(partial(_page, agent=source.user_agent), posts))
    else:
        pages = [None] * len(posts)
    for post, page in zip(posts, pages, strict=True):
        try:
            result.bodies[post.pk] = _body(source, post, page, selectors)
        except ReextractFailed as failure:
            result.failures.append(f"#{post.pk} {post.title}: {failure}, its body is kept")
        except Exception as error:  # noqa: BLE001 - hostile markup may break any library; recorded, not swallowed
            logger.warning("re-extracting post %s failed", post.pk, exc_info=True)
            result.failures.append(f"#{post.pk} {post.title}: {error_summary(error)}, its body is kept")
    return result


class ReextractFailed(Exception):
    """This post's new body could not be had (its page failed): the reason, for the editor."""


def _page(post: Article, *, agent: str) -> FullText:
    if not post.url:
        return FullText(error="the post links to no page")
    try:
        return full_text(post.url, wait=settings.FEEDS_HOST_WAIT_SECONDS, agent=agent)
    except HostBusy as busy:
        return FullText(error=f"{busy}; apply the rules again later")


def _body(source: Source, post: Article, page: FullText | None, selectors: list[etree.XPath]) -> tuple[str, str]:
    """(body, excerpt) of the post under the source's current rules."""
    if page is not None:
        if page.error:
            raise ReextractFailed(f"full text failed ({page.error})")
        body = sanitize_html(without_selected(page.html, selectors), base_url=page.page_url)
        return body, excerpt_from_html(body, limit=EXCERPT_MAX_CHARS)
    if source.content_mode == ContentMode.EXCERPT:
        excerpt = post.excerpt or excerpt_from_html(post.body_html, limit=EXCERPT_MAX_CHARS)
        return excerpt_only(source, excerpt=excerpt, url=post.url), excerpt
    body = sanitize_html(without_selected(post.body_html, selectors), base_url=post.url)
    return body, excerpt_from_html(body, limit=EXCERPT_MAX_CHARS)
