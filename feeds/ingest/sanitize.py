"""Sanitize stage: the one bleach allowlist policy, applied once at ingest; never touches the DB.

A single html5lib parse per entry: a pre-filter drops script-like elements with their content, promotes
lazy-load `data-src` and resolves relative URLs; bleach's sanitizer filter applies the allowlist; a post-filter
adds link rel, lazy loading, drops tracking pixels and non-allowlisted frames.
"""

import html
import re
import threading
from collections.abc import Iterator
from urllib.parse import urljoin, urlsplit

from bleach import html5lib_shim
from bleach.sanitizer import BleachSanitizerFilter, Cleaner

from feeds.ingest.text import clean_url, collapse_space, strip_tracking

EXCERPT_MAX_CHARS = 900

ALLOWED_TAGS = frozenset(
    {"p", "br", "hr", "div", "span", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "dl", "dt", "dd"}
    | {"a", "img", "figure", "figcaption", "picture", "blockquote", "q", "cite", "pre", "code", "kbd", "samp"}
    | {"table", "thead", "tbody", "tfoot", "tr", "th", "td", "caption", "em", "strong", "b", "i", "u", "s"}
    | {"small", "sub", "sup", "mark", "abbr", "time", "del", "ins", "iframe"}
)
ALLOWED_ATTRIBUTES = {
    "a": ["href", "title"],
    "img": ["src", "alt", "title", "width", "height"],
    "iframe": ["src", "width", "height", "title", "allowfullscreen"],
    "td": ["colspan", "rowspan"],
    "th": ["colspan", "rowspan", "scope"],
    "abbr": ["title"],
    "ol": ["start"],
    "time": ["datetime"],
}
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})
# Dropped with everything inside them, so their code never shows up as text.
DROPPED_ELEMENTS = frozenset({"script", "style", "noscript", "template", "object", "embed", "svg", "math"})
URL_ATTRIBUTES = frozenset({"href", "src", "cite"})
VIDEO_HOSTS = frozenset({"www.youtube.com", "youtube.com", "www.youtube-nocookie.com", "player.vimeo.com"})
LINK_REL = "nofollow noopener noreferrer ugc"
IFRAME_SANDBOX = "allow-scripts allow-same-origin allow-presentation allow-popups"

_BLOCK_TAG = re.compile(
    r"</?(?:p|div|br|hr|h[1-6]|li|ul|ol|dd|dt|dl|blockquote|pre|figure|figcaption|table|tr|td|th)\b[^>]*>"
)
_ANY_TAG = re.compile(r"<[^>]*>")
_IMG_SRC = re.compile(r'<img\b[^>]*?\bsrc="([^"]+)"')
_local = threading.local()


def _cleaner() -> Cleaner:
    """The policy, built once per thread (bleach's parser is not thread-safe) and reused."""
    cleaner = getattr(_local, "cleaner", None)
    if cleaner is None:
        cleaner = Cleaner(tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, protocols=ALLOWED_PROTOCOLS, strip=True)
        # bleach's tokenizer silently drops tags outside its list, keeping their content as text; letting the
        # script-like ones through to the tree is what allows _PreFilter to drop them with their content.
        cleaner.parser = html5lib_shim.BleachHTMLParser(
            tags=ALLOWED_TAGS | DROPPED_ELEMENTS, strip=True, consume_entities=False, namespaceHTMLElements=False
        )
        _local.cleaner = cleaner
    return cleaner


def sanitize_html(markup: str, *, base_url: str) -> str:
    """Upstream HTML made safe to render with |safe, relative URLs resolved against base_url."""
    if not markup or not markup.strip():
        return ""
    cleaner = _cleaner()
    dom = cleaner.parser.parseFragment(markup)
    stream = BleachSanitizerFilter(
        source=_PreFilter(cleaner.walker(dom), base_url=base_url),
        allowed_tags=cleaner.tags,
        attributes=cleaner.attributes,
        strip_disallowed_tags=True,
        strip_html_comments=True,
        css_sanitizer=None,
        allowed_protocols=cleaner.protocols,
    )
    return cleaner.serializer.render(_PostFilter(stream)).strip()


def excerpt_from_html(sanitized: str, *, limit: int = EXCERPT_MAX_CHARS) -> str:
    """Plain text of sanitized HTML, whitespace collapsed, cut at a word boundary with an ellipsis."""
    text = collapse_space(html.unescape(_ANY_TAG.sub("", _BLOCK_TAG.sub(" ", sanitized))))
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,;:.-") + "…"


def first_image(sanitized: str) -> str:
    """The src of the first image in sanitized HTML, or ""."""
    match = _IMG_SRC.search(sanitized)
    return clean_url(html.unescape(match.group(1))) if match else ""


def _attr(token: dict, name: str) -> str | None:
    return token.get("data", {}).get((None, name))


class _PreFilter(html5lib_shim.Filter):
    """Before the allowlist: drop script-like subtrees, promote data-src, resolve relative URLs."""

    def __init__(self, source, *, base_url: str):
        super().__init__(source)
        self.base_url = base_url

    def __iter__(self) -> Iterator[dict]:
        depth = 0
        for token in super().__iter__():
            kind, name = token["type"], token.get("name")
            if name in DROPPED_ELEMENTS and kind in ("StartTag", "EndTag", "EmptyTag"):
                depth += {"StartTag": 1, "EndTag": -1}.get(kind, 0)
                depth = max(depth, 0)
                continue
            if depth:
                continue
            if kind in ("StartTag", "EmptyTag") and token.get("data"):
                self._fix_attributes(token)
            yield token

    def _fix_attributes(self, token: dict) -> None:
        data = token["data"]
        lazy = _attr(token, "data-src") or _attr(token, "data-lazy-src") or _attr(token, "data-original")
        src = _attr(token, "src") or ""
        if token["name"] == "img" and lazy and (not src or src.startswith("data:") or "placeholder" in src):
            data[(None, "src")] = lazy
        # bleach's parser leaves entities in attribute values; the serializer escapes "&" again on output.
        for key in [key for key in data if key[1] in URL_ATTRIBUTES]:
            value = data[key] = html.unescape(data[key]).strip()
            if value and not value.lower().startswith(("http:", "https:", "mailto:", "#")):
                try:
                    data[key] = urljoin(self.base_url, value)
                except ValueError:
                    del data[key]


class _PostFilter(html5lib_shim.Filter):
    """After the allowlist: link rel, tracking parameters, lazy images, no pixels, sandboxed video frames only."""

    def __iter__(self) -> Iterator[dict]:
        in_frame = False
        for token in super().__iter__():
            kind, name = token["type"], token.get("name")
            if name == "iframe":
                in_frame = kind == "StartTag"
                if kind in ("StartTag", "EmptyTag") and _video_frame(token):
                    yield from self._frame(token)
                continue
            if in_frame:
                continue
            if name == "a" and kind == "StartTag":
                _link(token)
            elif name == "img" and kind in ("StartTag", "EmptyTag") and not _image(token):
                continue
            yield token

    @staticmethod
    def _frame(token: dict) -> Iterator[dict]:
        token["data"][(None, "sandbox")] = IFRAME_SANDBOX
        token["data"][(None, "loading")] = "lazy"
        yield {"type": "StartTag", "name": "iframe", "namespace": token.get("namespace"), "data": token["data"]}
        yield {"type": "EndTag", "name": "iframe", "namespace": token.get("namespace")}


def _video_frame(token: dict) -> bool:
    src = _attr(token, "src") or ""
    parts = urlsplit(src)
    return parts.scheme == "https" and (parts.hostname or "") in VIDEO_HOSTS


def _link(token: dict) -> None:
    data = token.setdefault("data", {})
    if (None, "href") in data:
        data[(None, "href")] = strip_tracking(data[(None, "href")])
    data[(None, "rel")] = LINK_REL


def _image(token: dict) -> bool:
    """Adjust an image in place; False when it should be dropped (no source, or a 1x1 tracking pixel)."""
    data = token.setdefault("data", {})
    src = data.get((None, "src"), "")
    if not src or (_attr(token, "width") in ("0", "1") and _attr(token, "height") in ("0", "1")):
        return False
    data[(None, "src")] = strip_tracking(src)
    data[(None, "loading")] = "lazy"
    return True
