"""Full-text stage: fetch an entry's article page (the feed's fetcher and its limits) and extract the article.

The result is still upstream HTML: the sanitize stage makes it safe, as it does feed content.
"""

from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

import lxml.html
import trafilatura

from feeds.ingest import politeness
from feeds.ingest.errors import FetchError
from feeds.ingest.fetch import FetchLimits, fetch_feed
from feeds.ingest.politeness import HostBackingOff, InProcessHostLimiter
from feeds.ingest.schedule import retry_after

MAX_PAGE_BYTES = 5 * 1024 * 1024
PAGE_LIMITS = FetchLimits(max_bytes=MAX_PAGE_BYTES)
SLOW_DOWN_STATUSES = frozenset({429, 503})
# Less than this much text is a cookie wall, a paywall or an error page rather than the article.
MIN_ARTICLE_CHARS = 200


@dataclass
class FullText:
    """The extracted article's HTML and the page it came from, or why there is none."""

    html: str = ""
    page_url: str = ""
    error: str = ""


def full_text(url: str, *, limiter: InProcessHostLimiter | None = None, limits: FetchLimits = PAGE_LIMITS) -> FullText:
    """The article at url, extracted; never raises for a page that cannot be had, says why instead."""
    limiter = limiter or politeness.HOSTS
    host = urlsplit(url).hostname or ""
    try:
        with limiter.acquire(host):
            fetched = fetch_feed(url, limits=limits)
    except HostBackingOff as error:
        return FullText(error=str(error))
    except FetchError as error:
        if error.status in SLOW_DOWN_STATUSES:
            pause = retry_after(error.headers.get("retry-after", ""), now=datetime.now(UTC))
            limiter.backoff(host, pause.total_seconds())
        return FullText(error=str(error).replace("The feed", "The page"))
    html = extract_article(fetched.body, url=fetched.url)
    if len(visible_text(html)) < MIN_ARTICLE_CHARS:
        return FullText(error="No article found on the page (too little text).")
    return FullText(html=html, page_url=fetched.url)


def extract_article(page: bytes, *, url: str) -> str:
    """The article's HTML (paragraphs, headings, lists, images, links, tables), without the page around it."""
    extracted = trafilatura.extract(
        page,
        url=url,
        output_format="html",
        include_formatting=True,
        include_links=True,
        include_images=True,
        include_tables=True,
        include_comments=False,
        # No second pass with the fallback extractors (readability, jusText): on news pages they add little,
        # and they hold further copies of the page's tree (the 5 MiB page's peak RSS went over 250 MB with them).
        fast=True,
    )
    return extracted or ""


def visible_text(html: str) -> str:
    """The text of extracted HTML, spaces folded."""
    if not html.strip():
        return ""
    return " ".join(lxml.html.fragment_fromstring(html, create_parent="div").text_content().split())
