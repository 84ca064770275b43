"""Video frames: the only iframes a post may keep, rebuilt from the video id rather than trusted as given.

Python's urlsplit and a browser's WHATWG parser disagree on odd URLs (`https://evil.example\\@www.youtube.com/`
is host www.youtube.com to one and evil.example to the other), and our RSS/Atom feeds republish bodies to readers
that apply no CSP. So a frame's src is refused outright when it holds anything the two parsers may read
differently, and a src that passes is never output: we output a URL of our own making around its video id.
"""

import re
from urllib.parse import urlsplit

YOUTUBE_HOSTS = frozenset({"www.youtube.com", "youtube.com", "www.youtube-nocookie.com", "youtube-nocookie.com"})
VIMEO_HOSTS = frozenset({"player.vimeo.com"})
YOUTUBE_EMBED = "https://www.youtube-nocookie.com/embed/{}"
VIMEO_EMBED = "https://player.vimeo.com/video/{}"

# Printable ASCII without space, backslash or "@": no controls, tabs, newlines, full-width or lookalike characters,
# and no userinfo, which is where the parsers disagree about the host.
_UNAMBIGUOUS = re.compile(r"[!-?A-\[\]-~]+")
_YOUTUBE_PATH = re.compile(r"/embed/([A-Za-z0-9_-]{1,64})/?")
_VIMEO_PATH = re.compile(r"/video/([0-9]{1,20})/?")


def video_embed_url(src: str) -> str | None:
    """Our own embed URL for an allowlisted YouTube or Vimeo frame source, or None when the frame must go."""
    if not _UNAMBIGUOUS.fullmatch(src):
        return None
    parts = urlsplit(src)
    if parts.scheme != "https":
        return None
    host = parts.netloc.lower()  # exactly a host name: no port, userinfo or encoding to read two ways
    if host in YOUTUBE_HOSTS and (match := _YOUTUBE_PATH.fullmatch(parts.path)):
        return YOUTUBE_EMBED.format(match.group(1))
    if host in VIMEO_HOSTS and (match := _VIMEO_PATH.fullmatch(parts.path)):
        return VIMEO_EMBED.format(match.group(1))
    return None
