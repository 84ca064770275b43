"""WebSub discovery: the hub and self URL from a feed's Link headers, else from its feed-level links."""

import pytest

from feeds.ingest.fetch import fetch_feed
from feeds.websub.discovery import HubLinks, discover
from tests.feeds.feedserver import DATA

FEED = "https://gazette.example.com/feed.atom"


def read(name: str) -> bytes:
    return (DATA / "feeds" / "websub" / name).read_bytes()


def test_an_atom_feed_names_its_first_hub_and_self_url_and_an_entry_s_own_links_are_ignored():
    found = discover(body=read("atom_with_hub.atom"), headers={}, feed_url=FEED)
    assert found == HubLinks(hub="https://hub.example.net/websub", topic="https://gazette.example.com/feed.atom")


def test_an_rss_feed_names_them_with_atom_link_relative_and_escaped_addresses_resolved():
    found = discover(body=read("rss_with_hub.xml"), headers={}, feed_url="https://radio.example.com/news/rss")
    assert found.hub == "https://radio.example.com/websub-hub"
    assert found.topic == "https://radio.example.com/news/rss?format=full&lang=en"


def test_a_json_feed_names_its_websub_hub_among_others():
    found = discover(body=read("jsonfeed_with_hub.json"), headers={}, feed_url="https://orchard.example.com/x")
    assert found == HubLinks(hub="https://hub.example.net/", topic="https://orchard.example.com/feed.json")


def test_link_headers_come_first_and_rel_may_hold_several_values():
    headers = {
        "link": '<https://push.example.com/hub>; rel="hub", <https://gazette.example.com/t>; rel="self canonical"'
    }
    found = discover(body=read("atom_with_hub.atom"), headers=headers, feed_url=FEED)
    assert found == HubLinks(hub="https://push.example.com/hub", topic="https://gazette.example.com/t")


def test_a_self_link_header_without_a_hub_header_goes_with_the_document_s_hub():
    headers = {"link": "<https://gazette.example.com/canonical>; rel=self"}
    found = discover(body=read("atom_with_hub.atom"), headers=headers, feed_url=FEED)
    assert found == HubLinks(hub="https://hub.example.net/websub", topic="https://gazette.example.com/canonical")


@pytest.mark.parametrize(
    "body",
    [
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><link>https://a.example/</link></channel></rss>',
        b'<feed xmlns="http://www.w3.org/2005/Atom"><link rel="hub" href="javascript:alert(1)"/></feed>',
        b'<feed xmlns="http://www.w3.org/2005/Atom"><entry><link rel="hub" href="https://h.example/"/></entry></feed>',
        b'{"version": "https://jsonfeed.org/version/1.1", "hubs": "not a list"}',
        b"{not json",
    ],
    ids=["no-hub", "not-http", "only-in-an-entry", "json-hubs-not-a-list", "broken-json"],
)
def test_no_usable_hub_means_none(body):
    assert discover(body=body, headers={}, feed_url=FEED).hub == ""


def test_two_link_headers_from_a_real_server_are_both_read(feed_server):
    # Two Link header lines (the handler writes the value raw, so the CRLF starts the second header).
    hub_then_self = '<https://hub.example.net/>; rel="hub"\r\nLink: <https://pushed.example.com/topic>; rel="self"'
    url = feed_server.serve("/feed.xml", file="feeds/rss20.xml", headers={"Link": hub_then_self})
    fetched = fetch_feed(url)
    found = discover(body=fetched.body, headers=fetched.headers, feed_url=fetched.url)
    assert found == HubLinks(hub="https://hub.example.net/", topic="https://pushed.example.com/topic")
