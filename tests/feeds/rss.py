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
