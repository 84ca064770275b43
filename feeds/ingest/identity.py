"""Story identity, first rule: the same article under one normalized URL, whatever copy of it a feed links to.

A publisher's Home, World and Business feeds, its AMP and mobile pages and a link with campaign parameters all
lead to one page. story_url() folds these into one address and story_key() into a short key stored on every post
(Article.story_key), so that a new entry finds an earlier copy of its story with one indexed lookup. Pure
functions: no database, no network. The page's <link rel="canonical">, when full text was fetched, wins over the
entry's link.
"""

import hashlib
from urllib.parse import unquote_plus, urlsplit, urlunsplit

from feeds.ingest.text import TRACKING_PARAMETERS

DEFAULT_PORTS = {"http": "80", "https": "443"}
# Host prefixes of the same site's mobile and AMP editions ("www." is the same site too).
EDITION_HOST_PREFIXES = ("www.", "m.", "mobile.", "amp.")
# Path endings of AMP editions: /story/amp, /story/amp/, /story.amp, /story/amp.html.
AMP_PATH_SUFFIXES = ("/amp", ".amp", "/amp.html")
# Query parameters that pick an edition of the page, not the page: ?outputType=amp, ?amp=1, ?amp.
EDITION_PARAMETERS = frozenset({"outputtype", "output", "platform", "view"})
EDITION_VALUES = frozenset({"amp", "mobile"})
AMP_FLAG_VALUES = frozenset({"", "1", "true"})


def story_url(url: str, *, canonical: str = "") -> str:
    """The URL that names the article behind `url` (or behind `canonical`, when the page gave one); "" for none."""
    chosen = canonical.strip() or url.strip()
    try:
        parts = urlsplit(chosen)
        port = parts.port
    except ValueError:
        return ""
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname:
        return ""
    host = _site_host(parts.hostname)
    if port is not None and str(port) != DEFAULT_PORTS[scheme]:
        host = f"{host}:{port}"
    # http and https copies of one page are one article.
    return urlunsplit(("https", host, _article_path(parts.path), _article_query(parts.query), ""))


def story_key(url: str, *, canonical: str = "") -> str:
    """A 32-character key of story_url(); "" when the URL names no article (then only the text can match)."""
    normalized = story_url(url, canonical=canonical)
    return hashlib.sha256(normalized.encode()).hexdigest()[:32] if normalized else ""


def _site_host(hostname: str) -> str:
    host = hostname.lower().rstrip(".")
    for prefix in EDITION_HOST_PREFIXES:
        # "m.example.com" is example.com's mobile edition; "m.com" itself is a site of its own.
        if host.startswith(prefix) and host.count(".") >= 2:
            return host[len(prefix) :]
    return host


def _article_path(path: str) -> str:
    lowered = path.lower().rstrip("/")
    for suffix in AMP_PATH_SUFFIXES:
        if lowered.endswith(suffix):
            path = path.rstrip("/")[: -len(suffix)]
            break
    return path.rstrip("/") or "/"


def _article_query(query: str) -> str:
    kept = sorted(param for param in query.split("&") if param and not _is_noise(param))
    return "&".join(kept)


def _is_noise(param: str) -> bool:
    name, _, value = param.partition("=")
    name, value = unquote_plus(name).lower(), unquote_plus(value).lower()
    if name.startswith("utm_") or name in TRACKING_PARAMETERS:
        return True
    if name == "amp":
        return value in AMP_FLAG_VALUES
    return name in EDITION_PARAMETERS and value in EDITION_VALUES
