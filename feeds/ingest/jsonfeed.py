"""JSON Feed 1.0/1.1 (https://jsonfeed.org/version/1.1), which feedparser does not read, to raw entry dicts."""

import html
import json
from collections.abc import Mapping
from datetime import datetime

from feeds.ingest.errors import ParseError
from untrusted.text import clean_url


def parse_json_feed(body: bytes, *, url: str, max_entries: int) -> dict:
    """The feed's title, site URL and first max_entries raw entries (the same keys parse.py builds from feedparser)."""
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError) as error:
        raise ParseError(f"not a feed: the response is not valid JSON ({str(error)[:120]}).") from None
    if not isinstance(document, dict) or not str(document.get("version", "")).startswith("https://jsonfeed.org/"):
        raise ParseError("not a feed: the JSON is not a JSON Feed (no jsonfeed.org version).")
    items = document.get("items")
    if not isinstance(items, list):
        raise ParseError("broken feed with no entries: the JSON Feed has no items list.")
    entries = [_raw_item(item, url) for item in items[:max_entries] if isinstance(item, Mapping)]
    return {
        "title": document.get("title", ""),
        "site_url": clean_url(document.get("home_page_url"), base=url),
        "entries": entries,
    }


def _raw_item(item: Mapping, feed_url: str) -> dict:
    return {
        "id": str(item["id"]) if isinstance(item.get("id"), str | int) else "",
        "link": item.get("url") or item.get("external_url") or "",
        "title": item.get("title", ""),
        "author": _author(item),
        "content": _content(item),
        "base": feed_url,
        "dates": [_date(item.get("date_published")), _date(item.get("date_modified"))],
        "images": [item.get("image"), item.get("banner_image"), *_image_attachments(item)],
        "categories": [tag for tag in item.get("tags", []) if isinstance(tag, str)]
        if isinstance(item.get("tags"), list)
        else [],
    }


def _content(item: Mapping) -> str:
    if isinstance(item.get("content_html"), str):
        return item["content_html"]
    text = item.get("content_text") or item.get("summary") or ""
    if not isinstance(text, str) or not text.strip():
        return ""
    paragraphs = (html.escape(part.strip()) for part in text.split("\n\n") if part.strip())
    return "".join(f"<p>{part}</p>" for part in paragraphs)


def _author(item: Mapping) -> str:
    authors = item.get("authors")
    author = authors[0] if isinstance(authors, list) and authors else item.get("author")
    return author.get("name", "") if isinstance(author, Mapping) else ""


def _image_attachments(item: Mapping) -> list:
    attachments = item.get("attachments")
    if not isinstance(attachments, list):
        return []
    return [
        attachment.get("url")
        for attachment in attachments
        if isinstance(attachment, Mapping) and str(attachment.get("mime_type", "")).startswith("image/")
    ]


def _date(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.strip())
    except ValueError:
        return None
