"""The fingerprint of a fetched feed document: the same fingerprint again means there is nothing to parse.

It covers everything the parse stage reads (the address relative URLs resolve against, the headers that decide the
encoding, the bytes) and the parser's version, minus what a feed server changes on every request without changing
any entry: in an XML feed, the feed-level build time before the first entry and comments (cache stamps such as
"served from cache at ...") outside the entries. A JSON Feed, or an XML document without entries, counts whole.
"""

import hashlib
import re

import feedparser

from feeds.ingest import parse
from untrusted.text import content_type

# feedparser lower-cases element names, so <Item> and <atom:ENTRY> are entries too.
_ENTRY_START = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(?:item|entry)[\s>/]", re.IGNORECASE)
_ENTRY_END = re.compile(rb"</(?:[A-Za-z_][\w.-]*:)?(?:item|entry)\s*>", re.IGNORECASE)
# Feed-level timestamps, which only say when the document was generated; bounded, so matching stays linear.
_BUILD_TIME = re.compile(rb"<(lastBuildDate|pubDate|updated|dc:date)>[^<]{0,100}</\1>")
_CDATA = b"<![CDATA["


def feed_fingerprint(*, feed_url: str, headers: dict[str, str], body: bytes) -> str:
    """sha256 over what decides the parsed entries of this document."""
    media_type, charset = content_type(headers)
    language = headers.get("content-language", "")
    digest = hashlib.sha256(
        f"{parse.PARSE_VERSION} {feedparser.__version__}\n{feed_url}\n{media_type}; {charset}\n{language}\n".encode()
    )
    first = _ENTRY_START.search(body)
    last_end = max((match.end() for match in _ENTRY_END.finditer(body)), default=-1)
    if parse.is_json_feed(body, media_type) or first is None or last_end < first.start():
        digest.update(body)
        return digest.hexdigest()
    digest.update(_stable(body[: first.start()], build_time=True))
    digest.update(b"\0")
    digest.update(body[first.start() : last_end])
    digest.update(b"\0")
    digest.update(_stable(body[last_end:], build_time=False))
    return digest.hexdigest()


def _stable(part: bytes, *, build_time: bool) -> bytes:
    """part without build times and comments, up to its first CDATA section (inside which nothing is markup)."""
    cdata = part.find(_CDATA)
    markup, rest = (part, b"") if cdata == -1 else (part[:cdata], part[cdata:])
    if build_time:
        markup = _BUILD_TIME.sub(b"", markup)
    return _without_comments(markup) + rest


def _without_comments(part: bytes) -> bytes:
    """part without its <!-- --> comments (one linear scan; an unclosed comment is kept as it is)."""
    kept, position = [], 0
    while (start := part.find(b"<!--", position)) != -1:
        end = part.find(b"-->", start + 4)
        if end == -1:
            break
        kept.append(part[position:start])
        position = end + 3
    kept.append(part[position:])
    return b"".join(kept)
