"""Sanitize stage: the one bleach allowlist policy, applied once at ingest; never touches the DB.

A single html5lib parse per entry and a single extra filter before bleach's sanitizer: it drops script-like
elements and non-video frames with their content, promotes lazy-load `data-src`, resolves relative URLs, removes
tracking parameters, sets link rel / lazy loading / frame sandbox and drops 1x1 pixels; then the allowlist runs.
"""

import html
import re
import threading
from collections.abc import Iterator
from urllib.parse import urljoin, urlsplit

from bleach import html5lib_shim
from bleach.sanitizer import BleachSanitizerFilter, Cleaner

from untrusted.embeds import video_embed_url
from untrusted.text import clean_url, collapse_space, strip_tracking

# No <span>: without attributes (all of which would go) it means nothing, and CMSs wrap every run of text in one.
ALLOWED_TAGS = frozenset(
    {"p", "br", "hr", "div", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "dl", "dt", "dd"}
    | {"a", "img", "figure", "figcaption", "picture", "blockquote", "q", "cite", "pre", "code", "kbd", "samp"}
    | {"table", "thead", "tbody", "tfoot", "tr", "th", "td", "caption", "em", "strong", "b", "i", "u", "s"}
    | {"small", "sub", "sup", "mark", "abbr", "time", "del", "ins", "iframe"}
)
ALLOWED_ATTRIBUTES = {
    "a": ["href", "title", "rel"],
    "img": ["src", "alt", "title", "width", "height", "loading"],
    "iframe": ["src", "width", "height", "title", "allowfullscreen", "sandbox", "loading"],
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
        source=_Prepare(cleaner.walker(dom), base_url=base_url),
        allowed_tags=cleaner.tags,
        attributes=cleaner.attributes,
        strip_disallowed_tags=True,
        strip_html_comments=True,
        css_sanitizer=None,
        allowed_protocols=cleaner.protocols,
    )
    return cleaner.serializer.render(stream).strip()


def excerpt_from_html(sanitized: str, *, limit: int) -> str:
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


class _Prepare(html5lib_shim.Filter):
    """Before the allowlist: drop script-like subtrees and foreign frames with their content, fix attributes.

    Everything set here (rel, loading, sandbox, resolved URLs) still passes bleach's allowlist afterwards.
    """

    def __init__(self, source, *, base_url: str):
        super().__init__(source)
        self.base_url = base_url

    def __iter__(self) -> Iterator[dict]:
        skipping, depth = "", 0
        for token in super().__iter__():
            kind, name = token["type"], token.get("name")
            if depth:
                if name == skipping and kind in ("StartTag", "EndTag"):
                    depth += 1 if kind == "StartTag" else -1
                continue
            if kind not in ("StartTag", "EmptyTag", "EndTag"):
                yield token
            elif name in DROPPED_ELEMENTS or name == "iframe":
                if kind == "StartTag":
                    skipping, depth = name, 1
                if kind != "EndTag" and name == "iframe" and self._attributes(token):
                    yield from _video_frame(token)
            elif kind == "EndTag" or not token.get("data") or self._attributes(token):
                yield token

    def _attributes(self, token: dict) -> bool:
        """Fix a tag's attributes in place; False when the element should go (pixel, unusable image or frame)."""
        data, name = token["data"], token["name"]
        if name == "img":
            lazy = (
                data.get((None, "data-src")) or data.get((None, "data-lazy-src")) or data.get((None, "data-original"))
            )
            src = data.get((None, "src"), "")
            if lazy and (not src or src.startswith("data:") or "placeholder" in src):
                data[(None, "src")] = lazy
        elif name == "iframe":
            return _video_source(data)
        # bleach's parser leaves entities in attribute values; the serializer escapes "&" again on output.
        for key in [key for key in data if key[1] in URL_ATTRIBUTES]:
            value = html.unescape(data[key]).strip()
            try:
                absolute = value if value.startswith(("https://", "http://")) else urljoin(self.base_url, value)
                data[key] = strip_tracking(absolute)
            except ValueError:
                del data[key]
        if name == "a":
            data[(None, "rel")] = LINK_REL
        elif name == "img":
            return _embeddable(data)
        return True


def _video_source(data: dict) -> bool:
    """A frame keeps only a src we build from its YouTube or Vimeo video id; any other frame goes."""
    embed = video_embed_url(html.unescape(data.get((None, "src"), "")).strip())
    if embed is None:
        return False
    data[(None, "src")] = embed
    return True


def _embeddable(data: dict) -> bool:
    """Images need an http(s) source and must not be 1x1 pixels."""
    if urlsplit(data.get((None, "src"), "")).scheme not in ("http", "https"):
        return False
    if data.get((None, "width")) in ("0", "1") and data.get((None, "height")) in ("0", "1"):
        return False
    data[(None, "loading")] = "lazy"
    return True


def _video_frame(token: dict) -> Iterator[dict]:
    """A sandboxed, lazy, empty frame: whatever the feed put inside the iframe is dropped."""
    data = token["data"]
    data[(None, "sandbox")] = IFRAME_SANDBOX
    data[(None, "loading")] = "lazy"
    yield {"type": "StartTag", "name": "iframe", "namespace": token.get("namespace"), "data": data}
    yield {"type": "EndTag", "name": "iframe", "namespace": token.get("namespace")}
