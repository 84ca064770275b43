"""Full-text stage: fetch an entry's article page (the feed's fetcher and its limits) and extract the article.

The result is still upstream HTML: the sanitize stage makes it safe, as it does feed content.
"""

from dataclasses import dataclass, replace

import lxml.html
import trafilatura

from feeds.ingest.errors import FetchError
from feeds.ingest.fetch import FetchLimits, fetch_feed
from feeds.politeness import HostBusy

MAX_PAGE_BYTES = 5 * 1024 * 1024
PAGE_LIMITS = FetchLimits(max_bytes=MAX_PAGE_BYTES)
# Less than this much text is a cookie wall, a paywall or an error page rather than the article.
MIN_ARTICLE_CHARS = 200


@dataclass
class FullText:
    """The extracted article's HTML and the page it came from, or why there is none."""

    html: str = ""
    page_url: str = ""
    error: str = ""


def full_text(url: str, *, wait: float, agent: str = "", limits: FetchLimits = PAGE_LIMITS) -> FullText:
    """The article at url, extracted; never raises for a page that cannot be had, says why instead.

    The fetch waits at most `wait` seconds for its turn at the page's host (feeds/politeness): HostBusy when the
    turn did not come, so the caller can leave the entry for the next poll. A host that asked us to slow down
    (429/503) is left alone for its Retry-After by every fetch, here and in other workers.
    """
    try:
        fetched = fetch_feed(url, limits=replace(limits, host_wait=max(wait, 0.0)), agent=agent)
    except HostBusy:
        raise
    except FetchError as error:
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
