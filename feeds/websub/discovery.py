"""WebSub discovery: the hub and the topic's self URL, from HTTP Link headers first, then from the document.

The document is scanned, not parsed: only its feed-level part (before the first item or entry, where an entry's
own rel="self" would mislead) is read for <link>, <atom:link> or HTML <link> elements; a JSON Feed names its
hubs in "hubs". The spec asks subscribers to prefer the Link headers.
"""

import html
import json
import re
from dataclasses import dataclass
from urllib.parse import urljoin

from feeds.ingest.errors import FetchError
from feeds.ingest.fetch import check_url

HEAD_BYTES = 64 * 1024
_FIRST_ENTRY = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(?:item|entry)[\s>/]")
_LINK_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?link\b([^>]*)>", re.IGNORECASE)
_ATTRIBUTE = re.compile(rb"""([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_HEADER_LINK = re.compile(r"<([^>]*)>((?:\s*;\s*[^;,<]+)*)")
_HEADER_REL = re.compile(r"""\brel\s*=\s*(?:"([^"]*)"|([^\s;,"]+))""", re.IGNORECASE)


@dataclass(frozen=True)
class HubLinks:
    """What a feed says about WebSub: its first hub (blank if none) and its self URL (blank if not given)."""

    hub: str = ""
    topic: str = ""


def discover(*, body: bytes, headers: dict[str, str], feed_url: str) -> HubLinks:
    """The hub and self URL of a fetched feed, from its Link headers, else from its content."""
    in_headers = _from_links(_header_links(headers.get("link", "")), base=feed_url)
    if in_headers.hub:
        return in_headers
    in_body = _from_links(_document_links(body), base=feed_url)
    return HubLinks(hub=in_body.hub, topic=in_headers.topic or in_body.topic)


def _from_links(links: list[tuple[str, str]], *, base: str) -> HubLinks:
    """The first usable hub and self URL among (rel values, href) pairs."""
    hub = topic = ""
    for rels, href in links:
        url = _absolute(href, base)
        if not url:
            continue
        words = rels.lower().split()
        if "hub" in words and not hub:
            hub = url
        if "self" in words and not topic:
            topic = url
    return HubLinks(hub=hub, topic=topic)


def _absolute(href: str, base: str) -> str:
    """href resolved against the feed's address, or blank when it is not an http(s) URL we could use."""
    try:
        return check_url(urljoin(base, html.unescape(href.strip())))
    except FetchError:
        return ""


def _header_links(value: str) -> list[tuple[str, str]]:
    """(rel, URL) pairs of an HTTP Link header (RFC 8288), repeated headers joined by commas."""
    links = []
    for match in _HEADER_LINK.finditer(value):
        rel = _HEADER_REL.search(match.group(2))
        if rel:
            links.append((rel.group(1) or rel.group(2), match.group(1)))
    return links


def _document_links(body: bytes) -> list[tuple[str, str]]:
    """(rel, href) pairs of the feed-level link elements of an XML or HTML document, or a JSON Feed's hubs."""
    stripped = body.lstrip().removeprefix(b"\xef\xbb\xbf").lstrip()
    if stripped[:1] == b"{":
        return _json_feed_links(body)
    head = body[:HEAD_BYTES]
    first_entry = _FIRST_ENTRY.search(head)
    head = head[: first_entry.start()] if first_entry else head
    links = []
    for tag in _LINK_TAG.finditer(head):
        attributes = {
            name.lower().split(b":")[-1]: double or single for name, double, single in _ATTRIBUTE.findall(tag.group(1))
        }
        if b"rel" in attributes and b"href" in attributes:
            links.append((_text(attributes[b"rel"]), _text(attributes[b"href"])))
    return links


def _json_feed_links(body: bytes) -> list[tuple[str, str]]:
    try:
        feed = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return []
    if not isinstance(feed, dict):
        return []
    hubs = feed.get("hubs") if isinstance(feed.get("hubs"), list) else []
    links = [
        ("hub", hub["url"])
        for hub in hubs
        if isinstance(hub, dict) and str(hub.get("type", "")).lower() == "websub" and isinstance(hub.get("url"), str)
    ]
    if isinstance(feed.get("feed_url"), str):
        links.append(("self", feed["feed_url"]))
    return links


def _text(value: bytes) -> str:
    return value.decode("utf-8", errors="replace")
