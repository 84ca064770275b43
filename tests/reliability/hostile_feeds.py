"""Feeds that carry the XSS corpus in every place a feed can carry HTML or a URL."""

import json
from pathlib import Path
from xml.etree import ElementTree
from xml.sax.saxutils import escape, quoteattr

DATA = Path(__file__).resolve().parents[1] / "data" / "xss"
PAYLOADS_PER_ENTRY = 8
XHTML = "http://www.w3.org/1999/xhtml"


def load_corpus(name: str) -> list[str]:
    """The corpus file's entries with XSSID replaced by a label naming the file and line."""
    lines = (DATA / name).read_text(encoding="utf-8").splitlines()
    entries = [line for line in lines if line.strip() and not line.startswith("# ")]
    prefix = name.split(".")[0][0]
    return [entry.replace("XSSID", f"{prefix}{number}") for number, entry in enumerate(entries, 1)]


def corpus_section(name: str, heading: str) -> list[str]:
    """The entries under the corpus file's "# --- <heading>..." line, up to the next heading."""
    lines = (DATA / name).read_text(encoding="utf-8").splitlines()
    start = next(index for index, line in enumerate(lines) if line.startswith(f"# --- {heading}"))
    section = []
    for line in lines[start + 1 :]:
        if line.startswith("# --- "):
            break
        if line.strip() and not line.startswith("# "):
            section.append(line.replace("XSSID", "section"))
    return section


def chunks(items: list[str], size: int) -> list[list[str]]:
    return [items[start : start + size] for start in range(0, len(items), size)]


def entry_html(payloads: list[str], number: int) -> str:
    paragraphs = "".join(f"<p>Paragraph {index} of hostile entry {number}.</p>{p}" for index, p in enumerate(payloads))
    return f"<p>Hostile entry {number} begins.</p>{paragraphs}<p>Hostile entry {number} ends.</p>"


def cdata(text: str) -> str:
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def rss(base: str, html_field: str, wrap) -> bytes:
    payloads, urls = load_corpus("payloads.txt"), load_corpus("urls.txt")
    items = []
    for number, group in enumerate(chunks(payloads, PAYLOADS_PER_ENTRY)):
        url = urls[number % len(urls)]
        items.append(
            f"<item><title>{escape(group[0])}</title>"
            f"<link>{escape(url)}</link><guid isPermaLink='false'>{html_field}-{number}</guid>"
            f"<author>{escape(group[-1])}</author><category>{escape(group[1 % len(group)])}</category>"
            f"<enclosure url={quoteattr(url)} type='image/jpeg' length='1'/>"
            f"<media:thumbnail url={quoteattr(url)}/>"
            f"<{html_field}>{wrap(entry_html(group, number))}</{html_field}></item>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" '
        'xmlns:media="http://search.yahoo.com/mrss/">'
        f"<channel><title>Hostile RSS {html_field}</title><link>{base}</link>"
        f"<description>XSS corpus</description>{''.join(items)}</channel></rss>"
    ).encode()


def well_formed_xhtml(fragment: str) -> bool:
    try:
        ElementTree.fromstring(f'<div xmlns="{XHTML}">{fragment}</div>')  # noqa: S314 (our own corpus)
    except ElementTree.ParseError:
        return False
    return True


def atom(base: str, content_type: str) -> bytes:
    payloads, urls = load_corpus("payloads.txt"), load_corpus("urls.txt")
    if content_type == "xhtml":
        payloads = [payload for payload in payloads if well_formed_xhtml(payload)]
    entries = []
    for number, group in enumerate(chunks(payloads, PAYLOADS_PER_ENTRY)):
        body = entry_html(group, number)
        content = f'<div xmlns="{XHTML}">{body}</div>' if content_type == "xhtml" else escape(body)
        url = urls[number % len(urls)]
        entries.append(
            f"<entry><id>urn:hostile:atom-{content_type}-{number}</id>"
            f'<title type="html">{escape(group[0])}</title>'
            f"<link rel='alternate' href={quoteattr(url)}/>"
            f"<link rel='enclosure' type='image/png' href={quoteattr(url)}/>"
            f"<author><name>{escape(group[-1])}</name><uri>{escape(url)}</uri></author>"
            f"<category term={quoteattr(group[1 % len(group)])}/>"
            f"<updated>2026-11-0{1 + number % 9}T10:00:00Z</updated>"
            f'<summary type="html">{escape(group[2 % len(group)])}</summary>'
            f'<content type="{content_type}">{content}</content></entry>'
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom" '
        f'xml:base="{base}"><title>Hostile Atom {content_type}</title><id>urn:hostile:atom-{content_type}</id>'
        f"<updated>2026-11-10T10:00:00Z</updated>{''.join(entries)}</feed>"
    ).encode()


def json_feed(base: str) -> bytes:
    payloads, urls = load_corpus("payloads.txt"), load_corpus("urls.txt")
    items = [
        {
            "id": f"json-{number}",
            "url": urls[number % len(urls)],
            "external_url": urls[(number + 1) % len(urls)],
            "title": group[0],
            "content_html": entry_html(group, number),
            "image": urls[(number + 2) % len(urls)],
            "authors": [{"name": group[-1], "url": urls[number % len(urls)]}],
            "tags": [group[1 % len(group)]],
        }
        for number, group in enumerate(chunks(payloads, PAYLOADS_PER_ENTRY))
    ]
    feed = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "Hostile JSON",
        "home_page_url": base,
        "items": items,
    }
    return json.dumps(feed).encode()


def hostile_feeds(base: str) -> dict[str, bytes]:
    """File name -> feed body: the corpus in RSS (escaped, CDATA, content:encoded), Atom (html, xhtml), JSON."""
    return {
        "rss-escaped.xml": rss(base, "description", escape),
        "rss-cdata.xml": rss(base, "description", cdata),
        "rss-content-encoded.xml": rss(base, "content:encoded", cdata),
        "atom-html.xml": atom(base, "html"),
        "atom-xhtml.xml": atom(base, "xhtml"),
        "feed.json": json_feed(base),
    }
