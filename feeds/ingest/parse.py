"""Parse stage: feed bytes to plain entries. RSS/Atom through feedparser, JSON Feed by hand; never touches the DB."""

import hashlib
import io
import json
import re
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

import feedparser

from feeds.ingest import jsonfeed, sax
from feeds.ingest.errors import ParseError
from untrusted.text import clean_text, clean_title, clean_url, content_type

MAX_ENTRIES = 200
MAX_GUID = 512
MAX_TITLE = 500
MAX_AUTHOR = 200
MAX_BODY = 512 * 1024
MAX_CATEGORIES = 20
MAX_CATEGORY = 100
# Bump when a change to this stage should reach the stored posts of feeds that have not changed (fingerprint.py).
PARSE_VERSION = 1
# Dates before this are junk (epoch zero, year 1, negative years); the fetch time stands in for them.
EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)


_FIRST_ELEMENT = re.compile(rb"<[A-Za-z_]")
_DOCTYPE = re.compile(rb"<!DOCTYPE", re.IGNORECASE)
_HTML_PAGE = re.compile(rb"<html[\s>]|<!doctype html", re.IGNORECASE)


@dataclass
class ParsedEntry:
    guid: str
    url: str
    title: str
    author: str
    # Unsanitized upstream HTML; only sanitize.py makes it safe.
    content_html: str
    # The base that relative URLs in content_html resolve against (xml:base, else the feed URL).
    content_base: str
    published_at: datetime
    image_url: str = ""
    categories: list[str] = field(default_factory=list)
    # Hash of everything above: an entry whose hash is already stored is neither sanitized nor written.
    raw_hash: str = ""


@dataclass
class ParsedFeed:
    title: str
    site_url: str
    entries: list[ParsedEntry]
    # The parser's complaint about a broken feed that still yielded entries.
    warning: str = ""


def parse_feed(body: bytes, *, url: str, headers: Mapping[str, str], fetched_at: datetime) -> ParsedFeed:
    """Entries of an RSS 0.9x/1.0/2.0, Atom 0.3/1.0 or JSON Feed 1.x document; ParseError if it is not a feed."""
    if not body.strip():
        raise ParseError("empty response: the feed address returned nothing.")
    media_type, _charset = content_type(dict(headers))
    if is_json_feed(body, media_type):
        feed = jsonfeed.parse_json_feed(body, url=url, max_entries=MAX_ENTRIES)
        return _finish(feed["title"], feed["site_url"], feed["entries"], "", url, fetched_at)
    return _parse_xml(body, url=url, headers=headers, fetched_at=fetched_at, media_type=media_type)


def is_json_feed(body: bytes, media_type: str) -> bool:
    """Whether the document goes to the JSON Feed parser: a JSON media type, or an object after any BOM."""
    return "json" in media_type or body.lstrip().removeprefix(b"\xef\xbb\xbf").lstrip()[:1] == b"{"


def _parse_xml(
    body: bytes, *, url: str, headers: Mapping[str, str], fetched_at: datetime, media_type: str
) -> ParsedFeed:
    # No content-location: feedparser would resolve guids against it too, and a moved feed would change every guid.
    response_headers = {k.lower(): v for k, v in headers.items() if k.lower() in ("content-type", "content-language")}
    with sax.buffered_text():
        result = feedparser.parse(
            io.BytesIO(strip_doctype(body)),
            response_headers=response_headers,
            sanitize_html=False,
            resolve_relative_uris=False,
        )
    warning = _bozo_message(result) if result.get("bozo") else ""
    if not result.get("version") and not result.entries:
        if media_type == "text/html" or _HTML_PAGE.search(body[:2048]):
            raise ParseError("not a feed: the address returned a web page (HTML), not RSS, Atom or JSON Feed.")
        raise ParseError(f"not a feed: {warning or 'no RSS, Atom or JSON Feed found in the response'}.")
    channel = result.get("feed", {})
    site_url = clean_url(channel.get("link", ""), base=url)
    raw = (_raw_from_feedparser(entry, url) for entry in result.entries[:MAX_ENTRIES])
    return _finish(channel.get("title", ""), site_url, raw, warning, url, fetched_at)


def strip_doctype(body: bytes) -> bytes:
    """The document without its DOCTYPE and internal DTD subset: entity bombs and external entities go with it."""
    first = _FIRST_ELEMENT.search(body)
    head_end = first.start() if first else len(body)
    doctype = _DOCTYPE.search(body, 0, head_end)
    if doctype is None:
        return body
    # Everything between the DOCTYPE and the root element is DTD, comments or processing instructions.
    return body[: doctype.start()] + body[head_end:]


def _bozo_message(result: Mapping) -> str:
    error = result.get("bozo_exception")
    text = str(error) if error else "the feed is not well-formed"
    return clean_text(text, limit=300).strip() or type(error).__name__


def _raw_from_feedparser(entry: Mapping, feed_url: str) -> dict:
    content, base = _content(entry, feed_url)
    return {
        "id": entry.get("id", ""),
        "link": entry.get("link", ""),
        "title": entry.get("title", ""),
        "author": entry.get("author", ""),
        "content": content,
        "base": base,
        "dates": [dict.get(entry, key) for key in ("published_parsed", "updated_parsed", "created_parsed")],
        "images": list(_feedparser_images(entry)),
        "categories": [
            tag.get("term") or tag.get("label") for tag in entry.get("tags", []) if isinstance(tag, Mapping)
        ],
    }


def _content(entry: Mapping, feed_url: str) -> tuple[str, str]:
    """The richest body the entry has (content, else summary) and its xml:base."""
    for detail in list(entry.get("content", [])) + [entry.get("summary_detail")]:
        if isinstance(detail, Mapping) and isinstance(detail.get("value"), str) and detail["value"].strip():
            value = detail["value"]
            if detail.get("type") == "text/plain":
                value = "<p>" + value.replace("&", "&amp;").replace("<", "&lt;") + "</p>"
            return value, detail.get("base") or feed_url
    return "", feed_url


def _feedparser_images(entry: Mapping) -> Iterable[str]:
    for thumbnail in entry.get("media_thumbnail", []):
        yield thumbnail.get("url", "")
    for media in entry.get("media_content", []):
        if media.get("medium") == "image" or str(media.get("type", "")).startswith("image/"):
            yield media.get("url", "")
    for link in entry.get("enclosures", []):
        if str(link.get("type", "")).startswith("image/"):
            yield link.get("href", "")


def _finish(
    title: object, site_url: str, raw_entries: Iterable[dict], warning: str, url: str, fetched_at: datetime
) -> ParsedFeed:
    entries = [_entry(raw, url, fetched_at) for raw in raw_entries]
    # A broken document can yield husks with nothing in them; they are not posts.
    entries = [entry for entry in entries if entry.title or entry.url or entry.content_html.strip()]
    if not entries and warning:
        raise ParseError(f"broken feed with no entries: {warning}.")
    return ParsedFeed(title=clean_title(title, limit=200), site_url=site_url, entries=entries, warning=warning)


def _entry(raw: dict, feed_url: str, fetched_at: datetime) -> ParsedEntry:
    base = clean_url(raw.get("base"), base=feed_url) or feed_url
    link = clean_url(raw.get("link"), base=base)
    title = clean_title(raw.get("title"), limit=MAX_TITLE)
    content = clean_text(raw.get("content"), limit=MAX_BODY)
    images = (clean_url(image, base=base) for image in raw.get("images", []))
    upstream_date = _first_date(raw.get("dates", []))
    entry = ParsedEntry(
        guid=_guid(raw.get("id"), link, title, content),
        url=link,
        title=title,
        author=clean_title(raw.get("author"), limit=MAX_AUTHOR),
        content_html=content,
        content_base=base,
        published_at=min(upstream_date, fetched_at) if upstream_date else fetched_at,
        image_url=next((image for image in images if image), ""),
        categories=_categories(raw.get("categories", [])),
    )
    # The upstream date, not the fallback, goes into the hash: an undated entry must not look changed every poll.
    entry.raw_hash = _hash(entry, upstream_date)
    return entry


def _guid(entry_id: object, link: str, title: str, content: str) -> str:
    guid = clean_title(str(entry_id), limit=100_000) if entry_id not in (None, "") else ""
    guid = guid or link
    if not guid:
        return "sha256:" + hashlib.sha256(f"{title}\n{content}".encode()).hexdigest()
    if len(guid) > MAX_GUID:
        return "sha256:" + hashlib.sha256(guid.encode()).hexdigest()
    return guid


def _first_date(candidates: Iterable[object]) -> datetime | None:
    """The first candidate that is a real date (published, else updated, else created)."""
    for candidate in candidates:
        moment = to_datetime(candidate)
        if moment is not None:
            return moment
    return None


def to_datetime(value: object) -> datetime | None:
    """A UTC datetime from a struct_time or datetime, or None for anything that cannot be a date."""
    try:
        if isinstance(value, datetime):
            moment = value if value.tzinfo else value.replace(tzinfo=UTC)
            moment = moment.astimezone(UTC)
        elif isinstance(value, time.struct_time | tuple) and len(value) >= 6:
            moment = datetime(*(int(part) for part in value[:6]), tzinfo=UTC)
        else:
            return None
    except (ValueError, TypeError, OverflowError):
        return None
    return moment if moment >= EARLIEST else None


def _categories(values: Iterable[object]) -> list[str]:
    names = (clean_title(value, limit=MAX_CATEGORY) for value in values)
    return list(dict.fromkeys(name for name in names if name))[:MAX_CATEGORIES]


def _hash(entry: ParsedEntry, upstream_date: datetime | None) -> str:
    fields = [entry.guid, entry.url, entry.title, entry.author, entry.content_html, entry.content_base]
    fields += [upstream_date.isoformat() if upstream_date else "", entry.image_url, *entry.categories]
    return hashlib.sha256(json.dumps(fields).encode()).hexdigest()
