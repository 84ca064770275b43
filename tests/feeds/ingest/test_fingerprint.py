"""What makes a fetched document count as already ingested."""

import pytest

from feeds.ingest.fingerprint import feed_fingerprint

URL = "https://example.com/feed.xml"
HEADERS = {"content-type": "application/rss+xml; charset=utf-8"}
RSS = (
    b"<?xml version='1.0'?><rss version='2.0'><channel><title>T</title>"
    b"<lastBuildDate>Sat, 28 Nov 2026 18:00:00 +0000</lastBuildDate>"
    b"<item><title>One</title><guid>1</guid><pubDate>Fri, 27 Nov 2026 08:00:00 +0000</pubDate></item>"
    b"<item><title>Two</title><guid>2</guid></item></channel></rss><!-- cached at 18:00:00 -->"
)
ATOM = (
    b"<feed xmlns='http://www.w3.org/2005/Atom'><title>T</title><updated>2026-11-28T18:00:00Z</updated>"
    b"<entry><id>1</id><title>One</title><updated>2026-11-27T08:00:00Z</updated></entry></feed>"
)


def fingerprint(body: bytes, url: str = URL, headers: dict | None = None) -> str:
    return feed_fingerprint(feed_url=url, headers=HEADERS if headers is None else headers, body=body)


@pytest.mark.parametrize(
    ("body", "same_document"),
    [
        (RSS.replace(b"18:00:00 +0000</lastBuildDate>", b"18:30:00 +0000</lastBuildDate>"), RSS),
        (RSS.replace(b"cached at 18:00:00", b"cached at 18:30:12"), RSS),
        (RSS.replace(b"<title>T</title>", b"<title>T</title><pubDate>now</pubDate>"), RSS),
        (ATOM.replace(b"2026-11-28T18:00:00Z", b"2026-11-28T19:00:00Z"), ATOM),
    ],
)
def test_a_new_build_time_or_cache_comment_keeps_the_fingerprint(body, same_document):
    assert fingerprint(body) == fingerprint(same_document)


@pytest.mark.parametrize(
    "body",
    [
        RSS.replace(b"Fri, 27 Nov 2026 08:00:00", b"Fri, 27 Nov 2026 09:00:00"),  # an entry's own date
        RSS.replace(b"<title>Two</title>", b"<title>Two!</title>"),
        RSS.replace(b"<title>T</title>", b"<title>New name</title>"),
        RSS.replace(b"</item></channel>", b"</item><item><title>Three</title></item></channel>"),
        ATOM.replace(b"2026-11-27T08:00:00Z", b"2026-11-27T09:00:00Z"),  # an entry's <updated>
    ],
)
def test_any_change_to_the_entries_or_the_feed_title_changes_the_fingerprint(body):
    original = ATOM if body.startswith(b"<feed") else RSS
    assert fingerprint(body) != fingerprint(original)


def test_the_address_and_the_declared_charset_are_part_of_it():
    assert fingerprint(RSS, url="https://example.com/moved.xml") != fingerprint(RSS)
    assert fingerprint(RSS, headers={"content-type": "application/rss+xml; charset=iso-8859-1"}) != fingerprint(RSS)


def test_a_document_without_entries_is_taken_whole():
    empty = b"<rss><channel><title>T</title><lastBuildDate>a</lastBuildDate></channel></rss>"
    assert fingerprint(empty) != fingerprint(empty.replace(b">a<", b">b<"))


def test_runs_of_unclosed_comments_around_the_feed_are_kept_so_the_document_counts_as_changed():
    """Their cost (linear in the document's size) is measured by bench/hostile.py."""
    assert fingerprint(RSS + b"<!--" * 200_000) != fingerprint(RSS)
    assert fingerprint(b"<!--" * 200_000 + RSS) != fingerprint(RSS)


def test_entry_tags_in_any_case_or_namespace_are_entries():
    mixed = (
        b"<rss><channel><title>T</title><Item><title>One</title><pubDate>Fri, 27 Nov 2026 08:00:00 +0000</pubDate>"
        b"</Item ><item><title>Two</title></item><atom:entry><title>Three</title><!-- a note --></atom:entry>"
        b"</channel></rss>"
    )
    assert fingerprint(mixed.replace(b"08:00:00", b"09:00:00")) != fingerprint(mixed)
    assert fingerprint(mixed.replace(b"a note", b"another note")) != fingerprint(mixed)


def test_comment_markers_inside_cdata_or_json_strings_hide_nothing():
    cdata = RSS.replace(
        b"<title>T</title>",
        b"<title>T</title><description><![CDATA[a <!-- draft]]></description><link>https://a/</link><!-- gen -->",
    )
    assert fingerprint(cdata.replace(b"https://a/", b"https://b/")) != fingerprint(cdata)
    json_feed = (
        b'{"version": "https://jsonfeed.org/version/1.1", "title": "T", "items": [{"id": "1", "content_html": '
        b'"a <!-- draft"}, {"id": "2", "title": "Two"}, {"id": "3", "content_html": "--> <item>x</item>"}]}'
    )
    json_headers = {"content-type": "application/feed+json"}
    changed = json_feed.replace(b'"Two"', b'"Two!"')
    assert fingerprint(changed, headers=json_headers) != fingerprint(json_feed, headers=json_headers)
    assert fingerprint(changed, headers={}) != fingerprint(json_feed, headers={})  # known by its first byte too


def test_a_new_parse_version_means_every_feed_is_parsed_again(monkeypatch):
    before = fingerprint(RSS)
    monkeypatch.setattr("feeds.ingest.parse.PARSE_VERSION", 2)
    assert fingerprint(RSS) != before
