"""The fingerprint of a fetched feed document: the same fingerprint again means there is nothing to parse.

It covers everything the parse stage reads (the address relative URLs resolve against, the headers that decide the
encoding, the bytes), minus what a feed server changes on every request without changing any entry: the feed-level
build time before the first entry and comments (cache stamps such as "served from cache at ...") around the entries.
"""

import hashlib
import re

from feeds.ingest.fetch import content_type

_FIRST_ENTRY = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(?:item|entry)[\s>/]")
_ENTRY_ENDS = (b"</item>", b"</entry>")
# Feed-level timestamps, which only say when the document was generated; bounded, so matching stays linear.
_BUILD_TIME = re.compile(rb"<(lastBuildDate|pubDate|updated|dc:date)>[^<]{0,100}</\1>")


def feed_fingerprint(*, feed_url: str, headers: dict[str, str], body: bytes) -> str:
    """sha256 over what decides the parsed entries of this document."""
    media_type, charset = content_type(headers)
    digest = hashlib.sha256(f"{feed_url}\n{media_type}; {charset}\n{headers.get('content-language', '')}\n".encode())
    first = _FIRST_ENTRY.search(body)
    last_end = max(body.rfind(end) for end in _ENTRY_ENDS)
    if first is None or last_end < first.start():
        digest.update(body)
        return digest.hexdigest()
    digest.update(_without_comments(_BUILD_TIME.sub(b"", body[: first.start()])))
    digest.update(b"\0")
    digest.update(body[first.start() : last_end])
    digest.update(b"\0")
    digest.update(_without_comments(body[last_end:]))
    return digest.hexdigest()


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
