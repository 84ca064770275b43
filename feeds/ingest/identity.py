"""Story identity: the same article under one normalized URL, or with nearly the same words.

First rule, the URL: whatever copy of an article a feed links to.

A publisher's Home, World and Business feeds, its AMP and mobile pages and a link with campaign parameters all
lead to one page. story_url() folds these into one address and story_key() into a short key stored on every post
(Article.story_key), so that a new entry finds an earlier copy of its story with one indexed lookup. Pure
functions: no database, no network. The page's <link rel="canonical">, when full text was fetched, wins over the
entry's link.

Second rule, the text: a MinHash signature of the title and text's word shingles (text_signature), whose LSH
bands (signature_bands) find earlier posts sharing a band, and whose estimated Jaccard similarity
(estimated_similarity) confirms them. It is one-permutation MinHash (Li, Owen and Zhang, 2012): each shingle is
hashed once (CRC-32), its top bits pick one of SIGNATURE_SIZE bins and the bin keeps its smallest value, so a signature
costs one hash per shingle instead of one per shingle and bin (bench/stories.py measures it).
"""

import hashlib
import html
import operator
import re
import zlib
from urllib.parse import unquote_plus, urlsplit, urlunsplit

from articles.stories import TextRule
from untrusted.text import TRACKING_PARAMETERS

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


SHINGLE_WORDS = 3
SIGNATURE_SIZE = 64
# Each shingle's CRC-32: its top 6 bits pick the bin (2**6 == SIGNATURE_SIZE), the other 26 are its value. Two
# different texts' minima in a bin (each the least of some ten 26-bit values) are equal by chance about once in
# ten million comparisons, far below what the 0.5 threshold could notice.
BIN_BITS = 6
VALUE_BITS = 32 - BIN_BITS
EMPTY_BIN = (1 << VALUE_BITS) - 1
# LSH: 16 bands of 2 bins, over the signature's first 32 bins (all 64 confirm a candidate). A pair at Jaccard 0.5
# shares a band with probability 1 - (1 - 0.5**2)**16 = 0.990, at 0.6 with 0.9992. 16 bands, not 32: every band is a
# row in the index and a probe of it, and the index is half the size (bench/stories.py: the identity check's cost).
BANDS = 16
BAND_BINS = 2
# A band key is the band's number and its two 26-bit values side by side (4 + 52 bits, a positive bigint): already
# uniformly spread, so no hash is needed, and two different bands never share a key. Stored keys are computed like
# this (migration articles 0018 recomputed the older, hashed keys from the stored signatures).
BAND_NUMBER_SHIFT = BAND_BINS * VALUE_BITS
_WORD = re.compile(r"\w+")
_TAG_OR_ENTITY = re.compile(r"<[^>]*>")


def signature_words(title: str, body_html: str) -> list[str]:
    """The title's and the text's words, lower case, without markup."""
    text = html.unescape(_TAG_OR_ENTITY.sub(" ", body_html))
    return _WORD.findall(f"{title} {text}".lower())


def text_signature(title: str, body_html: str) -> tuple[int, ...]:
    """The MinHash signature of the text's word shingles; () when it has too few words to compare."""
    words = signature_words(title, body_html)
    if len(words) < SHINGLE_WORDS * 4:
        return ()
    bins = [EMPTY_BIN] * SIGNATURE_SIZE
    shingles = (" ".join(shingle).encode() for shingle in zip(*(words[n:] for n in range(SHINGLE_WORDS)), strict=False))
    for hashed in set(map(zlib.crc32, shingles)):
        index, value = hashed >> VALUE_BITS, hashed & EMPTY_BIN
        if value < bins[index]:
            bins[index] = value
    return tuple(bins)


def estimated_similarity(first: tuple[int, ...], second: tuple[int, ...]) -> float:
    """The Jaccard similarity of two texts' shingle sets, estimated from their signatures (bins empty in both
    say nothing and are left out)."""
    if not first or not second:
        return 0.0
    same = sum(map(operator.eq, first, second))
    if EMPTY_BIN in first and EMPTY_BIN in second:
        both_empty = sum(1 for a, b in zip(first, second, strict=True) if a == b == EMPTY_BIN)
        compared = len(first) - both_empty
        return (same - both_empty) / compared if compared else 0.0
    return same / len(first)


def signature_bands(signature: tuple[int, ...]) -> list[int]:
    """The signature's LSH band keys (a PostgreSQL bigint each); none for a band whose bins are all empty."""
    keys = []
    for number in range(BANDS if signature else 0):
        first, second = signature[number * BAND_BINS : number * BAND_BINS + BAND_BINS]
        if first != EMPTY_BIN or second != EMPTY_BIN:
            keys.append(number << BAND_NUMBER_SHIFT | first << VALUE_BITS | second)
    return keys


# The near-duplicate rule, as the story step takes it (articles.stories.stories_attach's by_text).
NEAR_COPIES = TextRule(signature=text_signature, bands=signature_bands, similarity=estimated_similarity)
