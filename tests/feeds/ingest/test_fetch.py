import gzip
import ipaddress
import socket
import time
import tracemalloc
import zlib
from urllib.parse import urlsplit

import pytest

from feeds.ingest import fetch
from feeds.ingest.fetch import FetchError, address_allowed, check_url, fetch_feed
from tests.feeds.feedserver import FeedServer

RSS = (
    b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
    b"<item><title>a</title><guid>1</guid></item></channel></rss>"
)


def test_sends_user_agent_accept_encoding_and_conditional_headers(feed_server, settings):
    settings.SITE_NAME, settings.SITE_URL = "Harbour Daily", "https://daily.example.com"
    url = feed_server.serve("/feed.xml", RSS)
    fetch_feed(url, etag='"abc"', last_modified="Tue, 24 Nov 2026 08:30:00 GMT")
    headers = feed_server.hits("/feed.xml")[0].headers
    assert "Harbour Daily" in headers["user-agent"] and "https://daily.example.com" in headers["user-agent"]
    assert headers["accept-encoding"] == "gzip, deflate"
    assert headers["if-none-match"] == '"abc"'
    assert headers["if-modified-since"] == "Tue, 24 Nov 2026 08:30:00 GMT"


@pytest.mark.parametrize(
    "encoding, compress",
    [("gzip", gzip.compress), ("deflate", zlib.compress), ("deflate", lambda b: zlib.compress(b, wbits=-15))],
)
def test_gzip_and_deflate_bodies_are_decoded(feed_server, encoding, compress):
    url = feed_server.serve("/feed.xml", compress(RSS), headers={"Content-Encoding": encoding})
    assert fetch_feed(url).body == RSS


def test_304_is_returned_as_not_modified(feed_server):
    url = feed_server.serve("/feed.xml", RSS, etag='"v1"')
    result = fetch_feed(url, etag='"v1"')
    assert result.not_modified and result.body == b""


@pytest.mark.parametrize(
    "url, message",
    [
        ("file:///etc/passwd", "Only http:// and https://"),
        ("ftp://ftp.example.com/feed.xml", "Only http:// and https://"),
        ("/etc/passwd", "is not a web address"),
        ("https://user:secret@example.com/feed", "user name or password"),
        ("javascript:alert(1)", "Only http:// and https://"),
        ("http:///nohost", "has no host name"),
    ],
)
def test_refused_addresses_say_why(url, message):
    with pytest.raises(FetchError, match=message):
        check_url(url)


@pytest.mark.parametrize(
    ("url", "port"),
    [("http://[2001:db8::1]/feed", 80), ("https://[2001:db8::1]/feed", 443), ("http://[::1]:8080/f", 8080)],
)
def test_an_ipv6_literal_is_connected_to_as_written_with_the_schemes_port(monkeypatch, url, port):
    asked = []

    def resolve(host, port, **kwargs):  # the DNS lookup, as far as the fetcher gets in a sandbox
        asked.append((host, port))
        raise socket.gaierror("no network in this test")

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    with pytest.raises(FetchError):
        fetch_feed(url)
    assert asked == [(urlsplit(url).hostname, port)]


@pytest.mark.parametrize(
    "address",
    ["fec0::1", "::ffff:0:10.0.0.1", "5f00::1", "3fff::1", "100:0:0:1::1", "192.88.99.1", "192.0.0.9", "2001:2::1"]
    + ["64:ff9b:1::1", "2001:db8::1", "198.18.0.1", "::", "100::1"],
)
def test_blocks_iana_marks_not_globally_reachable_are_refused_whatever_ipaddress_says(settings, address):
    settings.FEEDS_ALLOW_PRIVATE_ADDRESSES = False
    assert address_allowed(address) is False


def test_feed_scheme_is_read_as_https():
    assert check_url("feed://example.com/rss") == "https://example.com/rss"
    assert check_url("feed:https://example.com/rss") == "https://example.com/rss"


@pytest.mark.parametrize(
    "address, allowed",
    [
        ("93.184.216.34", True),
        ("2606:4700:4700::1111", True),
        ("127.0.0.1", False),
        ("::1", False),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),
        ("fe80::1", False),
        ("100.64.0.1", False),
        ("224.0.0.1", False),
        ("ff02::1", False),
        ("0.0.0.0", False),  # noqa: S104 - an address under test, not a bind
        ("240.0.0.1", False),
        ("::ffff:127.0.0.1", False),
        ("fc00::1", False),
    ],
)
def test_address_policy(settings, address, allowed):
    settings.FEEDS_ALLOW_PRIVATE_ADDRESSES = False
    assert address_allowed(address) is allowed


def nat64(v4: str) -> str:
    return str(ipaddress.IPv6Address(int(ipaddress.IPv6Address("64:ff9b::")) | int(ipaddress.IPv4Address(v4))))


def nat64_local(v4: str) -> str:
    return str(ipaddress.IPv6Address(int(ipaddress.IPv6Address("64:ff9b:1::")) | int(ipaddress.IPv4Address(v4))))


def sixtofour(v4: str) -> str:
    return str(ipaddress.IPv6Address((0x2002 << 112) | (int(ipaddress.IPv4Address(v4)) << 80) | 1))


def teredo(server: str, client: str) -> str:
    """A Teredo address (2001::/32): server in bits 32-63, client in the low 32 bits, inverted as RFC 4380 says."""
    high = (0x20010000 << 96) | (int(ipaddress.IPv4Address(server)) << 64)
    return str(ipaddress.IPv6Address(high | (int(ipaddress.IPv4Address(client)) ^ 0xFFFFFFFF)))


def ipv4_compatible(v4: str) -> str:
    return str(ipaddress.IPv6Address(int(ipaddress.IPv4Address(v4))))


PUBLIC_V4 = "93.184.216.34"
WRAPPERS = [
    nat64,
    nat64_local,
    sixtofour,
    lambda v4: teredo(PUBLIC_V4, v4),
    lambda v4: teredo(v4, PUBLIC_V4),
    ipv4_compatible,
]


@pytest.mark.parametrize("v4", ["127.0.0.1", "10.0.0.1", "192.168.1.1", "169.254.169.254"])
@pytest.mark.parametrize(
    "wrap", WRAPPERS, ids=["nat64", "nat64-local", "6to4", "teredo-client", "teredo-server", "v4-compatible"]
)
def test_ipv6_forms_wrapping_a_private_ipv4_address_are_refused(settings, wrap, v4):
    settings.FEEDS_ALLOW_PRIVATE_ADDRESSES = False
    assert address_allowed(wrap(v4)) is False


@pytest.mark.parametrize(
    "address", [nat64("93.184.216.34"), nat64("8.8.8.8"), sixtofour("93.184.216.34"), "2606:4700:4700::1111"]
)
def test_ipv6_forms_wrapping_a_public_ipv4_address_are_allowed(settings, address):
    settings.FEEDS_ALLOW_PRIVATE_ADDRESSES = False
    assert address_allowed(address) is True


def test_the_wrappers_embed_what_ipaddress_unwraps():
    assert nat64("10.0.0.1") == "64:ff9b::a00:1" and ipv4_compatible("127.0.0.1") == "::7f00:1"
    assert ipaddress.IPv6Address(sixtofour("127.0.0.1")).sixtofour == ipaddress.IPv4Address("127.0.0.1")
    server, client = ipaddress.IPv6Address(teredo("8.8.8.8", "10.0.0.1")).teredo
    assert (str(server), str(client)) == ("8.8.8.8", "10.0.0.1")


def test_loopback_feed_is_refused_with_the_policy_on(feed_server, settings):
    settings.FEEDS_ALLOW_PRIVATE_ADDRESSES = False
    url = feed_server.serve("/feed.xml", RSS)
    with pytest.raises(FetchError, match="is not allowed"):
        fetch_feed(url)
    assert feed_server.requests == []


def test_networks_an_operator_allows_are_fetched_and_nothing_else_private_is(feed_server, settings):
    settings.FEEDS_ALLOW_PRIVATE_ADDRESSES = False
    settings.FEEDS_ALLOWED_NETWORKS = [ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("fd00:1::/64")]
    assert fetch_feed(feed_server.serve("/feed.xml", RSS)).body == RSS
    assert address_allowed("::ffff:127.0.0.1") and address_allowed("fd00:1::5")
    assert not address_allowed("10.0.0.1") and not address_allowed("fd00:2::1") and not address_allowed("::1")


def test_redirect_to_loopback_is_refused_on_the_hop(feed_server, settings, monkeypatch):
    """A "public" host (127.0.0.2 stands in for one) redirecting to loopback: the second hop is refused."""
    settings.FEEDS_ALLOW_PRIVATE_ADDRESSES = False
    monkeypatch.setattr(fetch, "address_allowed", lambda address: address == "127.0.0.2")
    public = FeedServer(host="127.0.0.2").start()
    try:
        target = feed_server.serve("/internal", RSS)
        url = public.serve("/feed.xml", status=302, headers={"Location": target})
        with pytest.raises(FetchError, match="is not allowed"):
            fetch_feed(url)
    finally:
        public.stop()
    assert len(public.requests) == 1 and feed_server.requests == []


@pytest.mark.parametrize("status, moved", [(301, True), (308, True), (302, False), (307, False)])
def test_redirects_are_followed_and_only_permanent_ones_report_a_move(feed_server, status, moved):
    target = feed_server.serve("/new.xml", RSS)
    result = fetch_feed(feed_server.serve("/old.xml", status=status, headers={"Location": "/new.xml"}))
    assert result.body == RSS and result.url == target
    assert result.moved_to == (target if moved else "")


def test_a_temporary_hop_in_the_chain_means_no_move(feed_server):
    feed_server.serve("/c.xml", RSS)
    feed_server.serve("/b.xml", status=302, headers={"Location": "/c.xml"})
    assert fetch_feed(feed_server.serve("/a.xml", status=301, headers={"Location": "/b.xml"})).moved_to == ""


def test_redirect_loop_is_an_error(feed_server):
    feed_server.serve("/a", status=302, headers={"Location": "/b"})
    feed_server.serve("/b", status=302, headers={"Location": "/a"})
    with pytest.raises(FetchError, match="loop"):
        fetch_feed(feed_server.url("/a"))


def test_more_than_five_redirects_is_an_error(feed_server):
    for hop in range(7):
        feed_server.serve(f"/{hop}", status=301, headers={"Location": f"/{hop + 1}"})
    feed_server.serve("/7", RSS)
    with pytest.raises(FetchError, match="more than 5 times"):
        fetch_feed(feed_server.url("/0"))
    assert len(feed_server.requests) == 6


def test_a_trickling_server_is_cut_off_at_the_deadline(feed_server, short_deadlines):
    url = feed_server.serve("/slow.xml", RSS * 10, trickle=0.05)
    started = time.monotonic()
    with pytest.raises(FetchError, match="took longer than 1.5 s"):
        fetch_feed(url)
    assert time.monotonic() - started < 2.5


def test_trickling_headers_are_cut_off_at_the_deadline_too(feed_server, short_deadlines):
    url = feed_server.serve("/slow-headers.xml", RSS, slow_headers=0.02)
    started = time.monotonic()
    with pytest.raises(FetchError, match="took longer than 1.5 s"):
        fetch_feed(url)
    assert time.monotonic() - started < 2.5


def test_an_oversized_body_is_refused(feed_server, short_deadlines):
    url = feed_server.serve("/big.xml", b"x" * (short_deadlines.max_bytes + 1))
    with pytest.raises(FetchError, match="larger than"):
        fetch_feed(url)


def test_a_gzip_bomb_stops_at_the_cap_with_bounded_memory(feed_server):
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    zeros = bytes(1024 * 1024)
    bomb = b"".join(compressor.compress(zeros) for _ in range(100)) + compressor.flush()
    url = feed_server.serve("/bomb.xml", bomb, headers={"Content-Encoding": "gzip"})
    tracemalloc.start()
    try:
        with pytest.raises(FetchError, match="larger than 15 MiB"):
            fetch_feed(url)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(bomb) < 200_000 and peak < 40 * 1024 * 1024


def test_corrupt_gzip_is_an_error(feed_server):
    url = feed_server.serve("/feed.xml", b"\x1f\x8b\x08\x00garbage", headers={"Content-Encoding": "gzip"})
    with pytest.raises(FetchError, match="corrupt"):
        fetch_feed(url)


def test_connection_refused_is_an_error():
    with pytest.raises(FetchError, match="Could not connect"):
        fetch_feed("http://127.0.0.1:1/feed.xml")


@pytest.mark.parametrize("status", [404, 410, 429, 500, 503])
def test_error_statuses_raise_with_the_status(feed_server, status):
    with pytest.raises(FetchError) as raised:
        fetch_feed(feed_server.serve("/feed.xml", b"nope", status=status, headers={"Retry-After": "120"}))
    assert raised.value.status == status
    assert raised.value.headers.get("retry-after") == "120"


def test_the_connected_peer_is_checked_again(feed_server, settings, monkeypatch):
    """DNS rebinding: the name resolved to an allowed address, but the socket ended up somewhere refused."""
    settings.FEEDS_ALLOW_PRIVATE_ADDRESSES = False
    answers = iter([True, False])
    monkeypatch.setattr(fetch, "address_allowed", lambda address: next(answers))
    with pytest.raises(FetchError, match="connected to a non-public address"):
        fetch_feed(feed_server.serve("/feed.xml", RSS))
    assert feed_server.requests == []


def test_paths_with_spaces_and_non_ascii_are_percent_encoded(feed_server):
    feed_server.serve("/caf%C3%A9%20news.xml", RSS)
    assert fetch_feed(feed_server.url("/café news.xml")).body == RSS


@pytest.mark.parametrize("url", ["http://example.com:99999/feed", "http://example.com:port/feed"])
def test_invalid_ports_are_refused(url):
    with pytest.raises(FetchError, match="invalid host name or port"):
        check_url(url)
