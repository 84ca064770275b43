import contextlib
import xml.sax
from datetime import UTC, datetime
from xml.sax.expatreader import ExpatParser

import feedparser.api
import pytest
from feedparser.parsers.strict import _StrictFeedParser

from feeds.ingest import sax
from feeds.ingest.errors import ParseError
from feeds.ingest.parse import MAX_ENTRIES, parse_feed
from tests.feeds import feedserver

DATA = feedserver.DATA / "feeds"
FETCHED = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
FEED_URL = "https://feeds.example.com/news/feed.xml"


def parse(name: str, content_type: str = "application/xml", url: str = FEED_URL):
    return parse_feed((DATA / name).read_bytes(), url=url, headers={"Content-Type": content_type}, fetched_at=FETCHED)


@pytest.mark.parametrize(
    "name, title, count",
    [
        ("rss091.xml", "Old School News", 2),
        ("rss10.rdf", "RDF Science Notes", 2),
        ("rss20.xml", "Harbour Town Gazette", 3),
        ("atom03.xml", "Legacy Atom Blog", 1),
        ("atom10.xml", "Northern Tech Review", 2),
        ("jsonfeed10.json", "Field Notes", 2),
        ("jsonfeed11.json", "Field Notes", 2),
    ],
)
def test_every_supported_format_yields_its_entries(name, title, count):
    feed = parse(name, "application/feed+json" if name.endswith(".json") else "application/xml")
    assert (feed.title, len(feed.entries), feed.warning) == (title, count, "")
    assert all(entry.guid and entry.title and entry.raw_hash for entry in feed.entries)


def test_atom_title_is_plain_text_and_relative_links_resolve_against_xml_base():
    entry = parse("atom10.xml").entries[0]
    assert entry.title == "Rust in the kernel: a year on"
    assert entry.url == "https://tech.example.net/blog/posts/rust-kernel.html"
    assert entry.content_base == "https://tech.example.net/blog/"
    assert (entry.author, entry.categories) == ("Ilse Varga", ["Programming"])


def test_published_else_updated_else_fetch_time():
    published, updated_only = parse("atom10.xml").entries
    assert published.published_at == datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
    assert updated_only.published_at == datetime(2026, 11, 21, 8, 0, tzinfo=UTC)
    assert parse("rss091.xml").entries[0].published_at == FETCHED


def test_impossible_dates_fall_back_to_fetch_time_and_future_dates_clamp():
    entries = parse("impossible_dates.xml").entries
    assert len(entries) == 7
    assert {entry.published_at for entry in entries} == {FETCHED}


def test_images_from_media_thumbnail_and_image_enclosure():
    ferry, wall, lighthouse = parse("rss20.xml").entries
    assert ferry.image_url == "https://gazette.example.com/img/ferry-thumb.jpg"
    assert wall.image_url == "https://gazette.example.com/img/wall.jpg"
    assert lighthouse.image_url == ""  # taken from the body's first <img> after sanitizing


def test_tracking_parameters_are_removed_from_links():
    assert parse("rss20.xml").entries[0].url == "https://gazette.example.com/2026/11/ferry-timetable?id=7"


def test_guid_is_the_id_else_the_link_else_a_hash():
    entries = parse("missing_guids.xml").entries
    assert entries[0].guid == "https://noguid.example.com/story-1"
    assert entries[1].guid.startswith("sha256:") and len(entries[1].guid) == 71
    assert parse("rss20.xml").entries[1].guid == "gazette-1002"  # never resolved against the feed URL


def test_an_over_long_guid_is_hashed_to_fit():
    item = f"<item><title>x</title><guid>{'g' * 2000}</guid></item>"
    body = f'<rss version="2.0"><channel><title>t</title>{item}</channel></rss>'
    entry = parse_feed(body.encode(), url=FEED_URL, headers={}, fetched_at=FETCHED).entries[0]
    assert entry.guid.startswith("sha256:") and len(entry.guid) <= 512


def test_dangerous_urls_are_dropped_everywhere():
    entries = parse("dangerous_urls.xml").entries
    assert [entry.url for entry in entries] == ["", "", "https://feeds.example.com/stories/relative.html"]
    assert [entry.image_url for entry in entries] == ["", "", ""]


def test_nul_and_control_characters_and_bidi_overrides_are_stripped():
    feed = parse("nul_bytes.xml")
    entry = feed.entries[0]
    assert feed.title == "Nul News"
    assert entry.title == "Title with a NUL and a bell and bidi override"
    assert "\x00" not in entry.content_html and "\x00" not in entry.author


def test_invalid_utf8_is_read_with_a_fallback_encoding():
    feed = parse("invalid_utf8.xml")
    assert feed.entries[0].title == "Café crème"


def test_a_lying_charset_header_does_not_garble_utf8():
    feed = parse("lying_charset.xml", "application/xml; charset=iso-8859-1")
    assert feed.entries[0].title == "Zoë’s café — “quoted”"


@pytest.mark.parametrize("name", ["billion_laughs.xml", "quadratic_blowup.xml"])
def test_entity_expansion_is_bounded(name):
    """What the attack yields; its time and memory are measured by bench/hostile.py."""
    feed = parse(name)
    assert all(len(entry.content_html) < 10_000 and len(entry.title) < 100 for entry in feed.entries)


@pytest.mark.parametrize("name", ["xxe.xml", "external_dtd.xml"])
def test_external_entities_are_never_resolved(name):
    feed = parse(name)
    text = " ".join(entry.title + entry.content_html for entry in feed.entries)
    assert "root:" not in text


def test_a_broken_feed_that_still_has_entries_is_read_with_a_warning():
    feed = parse("broken_with_entries.xml")
    assert [entry.title for entry in feed.entries] == ["Survivor one", "Survivor two"]
    assert feed.warning


@pytest.mark.parametrize(
    "body, content_type, message",
    [
        (b"", "application/xml", "empty response"),
        (b"  \n ", "application/xml", "empty response"),
        ((DATA / "page_without_feed.html").read_bytes(), "text/html", "not a feed: the address returned a web page"),
        ((DATA / "broken_no_entries.xml").read_bytes(), "application/xml", "broken feed with no entries"),
        (b"just some text", "text/plain", "not a feed"),
        (b'{"hello": "world"}', "application/json", "not a JSON Feed"),
        (b'{"version": "https://jsonfeed.org/version/1.1", "items": ', "application/json", "not valid JSON"),
    ],
)
def test_things_that_are_not_feeds_are_errors_an_editor_understands(body, content_type, message):
    with pytest.raises(ParseError, match=message):
        parse_feed(body, url=FEED_URL, headers={"Content-Type": content_type}, fetched_at=FETCHED)


def test_at_most_200_entries_are_taken_and_fields_are_capped():
    items = "".join(
        f"<item><title>{'T' * 2000}</title><guid>g{n}</guid><description>x</description></item>" for n in range(250)
    )
    body = f'<rss version="2.0"><channel><title>t</title>{items}</channel></rss>'.encode()
    feed = parse_feed(body, url=FEED_URL, headers={}, fetched_at=FETCHED)
    assert len(feed.entries) == MAX_ENTRIES
    assert len(feed.entries[0].title) == 500


def test_json_feed_content_text_becomes_escaped_paragraphs():
    frost = parse("jsonfeed11.json", "application/feed+json").entries[1]
    assert frost.content_html == "<p>It was minus two at dawn.</p><p>The allotments were white.</p>"
    assert frost.published_at == datetime(2026, 11, 25, 5, 0, tzinfo=UTC)
    assert frost.guid == "2002"


def test_the_raw_hash_is_stable_and_changes_with_the_entry():
    assert [e.raw_hash for e in parse("rss20.xml").entries] == [e.raw_hash for e in parse("rss20.xml").entries]
    before, after = parse("rss20.xml").entries, parse("rss20_updated.xml").entries
    assert before[0].raw_hash != after[0].raw_hash and before[1].raw_hash == after[1].raw_hash


def test_json_feed_with_a_byte_order_mark_is_read():
    body = b"\xef\xbb\xbf" + (DATA / "jsonfeed11.json").read_bytes()
    assert len(parse_feed(body, url=FEED_URL, headers={}, fetched_at=FETCHED).entries) == 2


XML_FEEDS = sorted(p.name for p in DATA.iterdir() if p.suffix in (".xml", ".rdf"))


@pytest.mark.parametrize("name", XML_FEEDS)
def test_buffered_text_parses_every_feed_exactly_as_stock_expat_does(name, monkeypatch):
    buffered = _parsed_or_error(name)
    monkeypatch.setattr(sax, "buffered_text", contextlib.nullcontext)
    assert buffered == _parsed_or_error(name)


def _parsed_or_error(name: str):
    try:
        return parse(name)
    except ParseError as error:
        return str(error)


def test_escaped_html_reaches_feedparser_in_a_few_pieces_not_one_per_entity(monkeypatch):
    pieces = []
    real_characters = _StrictFeedParser.characters
    monkeypatch.setattr(
        _StrictFeedParser, "characters", lambda self, text: pieces.append(text) or real_characters(self, text)
    )
    escaped = "&lt;p&gt;&lt;em&gt;x&lt;/em&gt;&lt;/p&gt;" * 200
    body = f"<rss><channel><title>T</title><item><title>A</title><description>{escaped}</description></item>"
    body += "</channel></rss>"
    entry = parse_feed(body.encode(), url=FEED_URL, headers={}, fetched_at=FETCHED).entries[0]
    assert entry.content_html == "<p><em>x</em></p>" * 200
    assert len(pieces) < 20  # stock expat: one piece per entity reference, over 1,000 here


def test_other_feedparser_users_in_the_process_keep_stock_expat():
    assert _reader_type() is ExpatParser
    with sax.buffered_text():
        assert _reader_type() is not ExpatParser
    assert _reader_type() is ExpatParser


def _reader_type() -> type:
    """The SAX reader class feedparser would get now (nothing is parsed)."""
    return type(xml.sax.make_parser(feedparser.api.PREFERRED_XML_PARSERS))  # noqa: S317 - only builds a reader


def test_nested_buffered_blocks_keep_buffering_until_the_outer_one_ends():
    with sax.buffered_text():
        with sax.buffered_text():
            pass
        assert _reader_type() is not ExpatParser
    assert _reader_type() is ExpatParser
