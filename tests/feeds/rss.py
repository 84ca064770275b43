"""Small RSS documents and parsed entries built in tests, for rules and modes."""

from datetime import UTC, datetime
from xml.sax.saxutils import escape

from feeds.ingest.parse import ParsedEntry


def rss(*items: dict) -> bytes:
    """An RSS 2.0 feed with one <item> per dict (guid, title, content, author, categories, link)."""
    return (
        '<?xml version="1.0"?><rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>'
        "<title>Test feed</title><link>https://news.example.com/</link>"
        + "".join(_item(**item) for item in items)
        + "</channel></rss>"
    ).encode()


def _item(guid: str, title: str, content: str = "", author: str = "", categories=(), link: str = "") -> str:
    link = link or f"https://news.example.com/{guid}"
    return (
        f"<item><guid>{escape(guid)}</guid><title>{escape(title)}</title><link>{escape(link)}</link>"
        f"<description>{escape(content)}</description><dc:creator>{escape(author)}</dc:creator>"
        + "".join(f"<category>{escape(name)}</category>" for name in categories)
        + "<pubDate>Mon, 02 Nov 2026 10:00:00 GMT</pubDate></item>"
    )


def entry(*, guid: str, title: str, content: str = "", author: str = "", categories=()) -> ParsedEntry:
    return ParsedEntry(
        guid=guid,
        url=f"https://news.example.com/{guid}",
        title=title,
        author=author,
        content_html=content,
        content_base="https://news.example.com/",
        published_at=datetime(2026, 11, 2, 10, tzinfo=UTC),
        categories=list(categories),
    )


def atom(*entries: dict, hub: str = "", self_url: str = "") -> bytes:
    """An Atom 1.0 feed naming a WebSub hub and self URL, one <entry> per dict (guid, title, content, updated)."""
    links = (f'<link rel="hub" href="{escape(hub)}"/>' if hub else "") + (
        f'<link rel="self" href="{escape(self_url)}"/>' if self_url else ""
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f'<title>Pushed feed</title><link rel="alternate" href="https://pushed.example.com/"/>{links}'
        "<id>urn:test:pushed</id><updated>2026-11-30T10:00:00Z</updated>"
        + "".join(_atom_entry(**entry) for entry in entries)
        + "</feed>"
    ).encode()


def _atom_entry(guid: str, title: str, content: str = "", updated: str = "2026-11-30T10:00:00Z") -> str:
    return (
        f"<entry><id>{escape(guid)}</id><title>{escape(title)}</title>"
        f'<link rel="alternate" href="https://pushed.example.com/{escape(guid)}"/>'
        f'<updated>{updated}</updated><content type="html">{escape(content)}</content></entry>'
    )
