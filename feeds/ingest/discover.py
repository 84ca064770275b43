"""Find the feed a web page links to with <link rel="alternate" type="application/rss+xml" href="...">."""

from html.parser import HTMLParser
from urllib.parse import urljoin

FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/feed+json", "application/json")
# Feed links live in <head>; a page's first part is enough and keeps hostile pages cheap.
MAX_SCAN = 512 * 1024


class _AlternateLinks(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag != "link":
            return
        values = {name.lower(): (value or "").strip() for name, value in attrs}
        rels = values.get("rel", "").lower().split()
        kind = values.get("type", "").lower().split(";")[0].strip()
        if "alternate" in rels and kind in FEED_TYPES and values.get("href"):
            self.found.append((kind, values["href"]))


def feed_links(page: bytes, *, page_url: str) -> list[str]:
    """Absolute URLs of the feeds the page advertises, in page order."""
    parser = _AlternateLinks()
    parser.feed(page[:MAX_SCAN].decode("utf-8", "replace"))
    parser.close()
    return [urljoin(page_url, href) for _kind, href in parser.found]


def looks_like_html(body: bytes, media_type: str) -> bool:
    """Whether a response is a web page rather than a feed."""
    if media_type in ("text/html", "application/xhtml+xml"):
        return True
    head = body[:1024].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html"))
