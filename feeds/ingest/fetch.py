"""Fetch stage: bounded HTTP GET of a feed (or a status check of a page), with an address policy on every connection.

feedparser never opens URLs itself (it would read local files and has no limits); we fetch the bytes here.
"""

import http.client
import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import quote, urlencode, urljoin, urlsplit

from django.conf import settings

from feeds.ingest.addresses import address_allowed
from feeds.ingest.decompress import Decoder
from feeds.ingest.errors import FetchError, FetchTimeout
from feeds.politeness import HostPause, host_of, host_turn
from untrusted.text import MAX_URL_LENGTH

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
PERMANENT_REDIRECTS = frozenset({301, 308})
ACCEPT = "application/rss+xml, application/atom+xml, application/feed+json, application/xml;q=0.9, */*;q=0.8"
CHUNK = 64 * 1024
_PATH_SAFE = "/?&=%:;@+$,!~*'()[]#"


@dataclass(frozen=True)
class FetchLimits:
    connect_timeout: float = 10.0
    deadline: float = 30.0
    max_redirects: int = 5
    max_bytes: int = 15 * 1024 * 1024
    # Seconds to wait at most for a turn at the host (feeds/politeness); None: FEEDS_HOST_WAIT_SECONDS, cut so the
    # wait and the deadline together stay within the Celery task's soft time limit.
    host_wait: float | None = None


DEFAULT_LIMITS = FetchLimits()


@dataclass
class FetchResult:
    url: str
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    # The new address when every redirect on the way was permanent (301/308), else "".
    moved_to: str = ""
    bytes_received: int = 0
    # The pause this answer put its host in (a 429, or one failure too many): every source on it waits.
    host_pause: HostPause | None = None

    @property
    def not_modified(self) -> bool:
        return self.status == 304


def check_url(url: str) -> str:
    """The URL to fetch (feed:// read as https://), or FetchError saying why it is refused."""
    url = (url or "").strip()
    lowered = url.lower()
    if lowered.startswith("feed:"):
        rest = url[5:]
        url = rest if rest.lower().startswith(("http://", "https://")) else "https:" + rest.removeprefix(":")
    try:
        parts = urlsplit(url)
    except ValueError:
        raise FetchError(f"{url!r} is not a valid web address.") from None
    scheme = parts.scheme.lower()
    if not scheme:
        raise FetchError(f"{url!r} is not a web address; give a full URL starting with https://.")
    if scheme not in ("http", "https"):
        raise FetchError(f"Only http:// and https:// feeds can be fetched, not {scheme}:// addresses.")
    if parts.username or parts.password:
        raise FetchError("Feed addresses with a user name or password in them are not accepted.")
    if not parts.hostname:
        raise FetchError(f"{url!r} has no host name.")
    try:
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number or out of range
        parts.hostname.encode("idna")
    except (ValueError, UnicodeError):
        raise FetchError(f"{url!r} has an invalid host name or port.") from None
    if len(url) > MAX_URL_LENGTH:
        raise FetchError(f"The address is longer than {MAX_URL_LENGTH} characters.")
    return url


def _open_socket(host: str, port: int, timeout: float) -> socket.socket:
    """A TCP connection to a permitted address of host, checked on the address actually connected to."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise FetchError(f"The host name {host!r} could not be resolved ({error}).") from None
    refused, last_error = [], None
    for family, kind, proto, _name, address in infos:
        if not address_allowed(address[0]):
            refused.append(address[0])
            continue
        sock = socket.socket(family, kind, proto)
        try:
            sock.settimeout(timeout)
            sock.connect(address)
        except OSError as error:
            sock.close()
            last_error = error
            continue
        # Checked again on the connected peer, so a DNS answer that changes between lookups cannot slip past.
        if not address_allowed(sock.getpeername()[0]):
            sock.close()
            raise FetchError(f"{host} connected to a non-public address; refused.")
        return sock
    if refused and last_error is None:
        # Which address it resolved to stays out of the message: editors see it, and it maps the internal network.
        raise FetchError(
            f"The address of {host} is not allowed: feeds are fetched only from public internet addresses."
        )
    raise FetchError(f"Could not connect to {host}: {last_error}.")


class _GuardedHTTPConnection(http.client.HTTPConnection):
    def connect(self) -> None:
        self.sock = _open_socket(self.host, self.port, self.timeout)


class _GuardedHTTPSConnection(http.client.HTTPSConnection):
    def connect(self) -> None:
        sock = _open_socket(self.host, self.port, self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def user_agent() -> str:
    """The User-Agent naming the site and its URL."""
    return f"{settings.SITE_NAME}/1.0 (feed reader; +{settings.SITE_URL})"


def fetch_feed(
    url: str, *, etag: str = "", last_modified: str = "", limits: FetchLimits | None = None, agent: str = ""
) -> FetchResult:
    """GET the feed at url following at most limits.max_redirects redirects; FetchError on any failure.

    agent: a User-Agent to send instead of ours (a source's override, for sites that require one).
    """
    result, permanent, visited = _follow(
        url, method="GET", etag=etag, last_modified=last_modified, limits=limits, agent=agent
    )
    return _finish(result, permanent, visited)


def fetch_status(url: str, *, method: str = "HEAD", limits: FetchLimits | None = None, agent: str = "") -> FetchResult:
    """The status of url after its redirects (HEAD, or GET without reading the body), with moved_to when every
    redirect was permanent; FetchError only when no answer came (network, address policy, redirect loop)."""
    result, permanent, visited = _follow(url, method=method, limits=limits, read_body=False, agent=agent)
    if len(visited) > 1 and permanent:
        result.moved_to = result.url
    return result


def post_form(url: str, fields: dict[str, str], *, limits: FetchLimits | None = None) -> FetchResult:
    """POST a form (a WebSub hub request) under the same address policy, limits and host turns; no redirect is
    followed. HostBusy or HostBackingOff (feeds/politeness) when the hub's host cannot be asked now."""
    url, limits = check_url(url), limits or DEFAULT_LIMITS
    with host_turn(host_of(url), max_wait=_host_wait(limits)) as turn:
        result = _get_once(url, "", "", time.monotonic(), limits, method="POST", form=fields, on_start=turn.starting)
        turn.answered(result.status, result.headers)
    result.host_pause = turn.pause
    return result


def _follow(
    url: str,
    *,
    method: str,
    etag: str = "",
    last_modified: str = "",
    limits: FetchLimits | None = None,
    read_body: bool = True,
    agent: str = "",
) -> tuple[FetchResult, bool, set[str]]:
    """The last answer after following redirects, whether every redirect was permanent, and the URLs visited.

    Each request waits for its turn at its host (feeds/politeness); the wait is not counted in the deadline.
    """
    started, limits = time.monotonic(), limits or DEFAULT_LIMITS
    url = check_url(url)
    permanent, visited, wire_bytes = True, {url}, 0
    for _hop in range(limits.max_redirects + 1):
        waiting = time.monotonic()
        with host_turn(host_of(url), max_wait=_host_wait(limits)) as turn:
            started += time.monotonic() - waiting
            result = _get_once(
                url,
                etag,
                last_modified,
                started,
                limits,
                method=method,
                read_body=read_body,
                agent=agent,
                on_start=turn.starting,
            )
            turn.answered(result.status, result.headers)
        result.host_pause = turn.pause
        wire_bytes += result.bytes_received
        if result.status not in REDIRECT_STATUSES:
            result.bytes_received = wire_bytes
            return result, permanent, visited
        location = result.headers.get("location", "")
        if not location:
            raise FetchError(f"The server redirected ({result.status}) without saying where to.", status=result.status)
        permanent = permanent and result.status in PERMANENT_REDIRECTS
        url = check_url(urljoin(url, location))
        if url in visited:
            raise FetchError(f"The redirects go round in a loop (back to {url}).", status=result.status)
        visited.add(url)
    raise FetchError(f"The server redirected more than {limits.max_redirects} times.")


def _host_wait(limits: FetchLimits) -> float:
    """How long a request may wait for its turn at a host: never so long that the wait and the deadline together
    outlast the poll task's soft time limit."""
    if limits.host_wait is not None:
        return limits.host_wait
    room = settings.CELERY_TASK_SOFT_TIME_LIMIT - limits.deadline - 5
    return max(min(settings.FEEDS_HOST_WAIT_SECONDS, room), 0)


def _finish(result: FetchResult, permanent: bool, visited: set[str]) -> FetchResult:
    if len(visited) > 1 and permanent:
        result.moved_to = result.url
    if result.status in (200, 203, 304):
        return result
    reason = http.client.responses.get(result.status, "error")
    message = f"The feed answered HTTP {result.status} ({reason})."
    if result.status == 410:
        message = "The feed answered 410 Gone: the publisher has removed it."
    raise FetchError(message, status=result.status, headers=result.headers, host_pause=result.host_pause)


def _get_once(
    url: str,
    etag: str,
    last_modified: str,
    started: float,
    limits: FetchLimits,
    *,
    method: str = "GET",
    read_body: bool = True,
    form: dict[str, str] | None = None,
    agent: str = "",
    on_start: Callable[[], None] | None = None,
) -> FetchResult:
    parts = urlsplit(url)
    kind = _GuardedHTTPSConnection if parts.scheme.lower() == "https" else _GuardedHTTPConnection
    extra = {"context": ssl.create_default_context()} if kind is _GuardedHTTPSConnection else {}
    host = parts.hostname.encode("idna").decode("ascii")
    # Always a port: given none, http.client reads the end of an IPv6 literal ("2001:db8::1") as one.
    port = parts.port or (443 if kind is _GuardedHTTPSConnection else 80)
    connection = kind(host, port, timeout=limits.connect_timeout, **extra)
    # Feeds put spaces and non-ASCII in paths; HTTP wants them percent-encoded (existing escapes are kept).
    path = quote((parts.path or "/") + (f"?{parts.query}" if parts.query else ""), safe=_PATH_SAFE)
    headers = {"User-Agent": agent or user_agent(), "Accept": ACCEPT, "Accept-Encoding": "gzip, deflate"}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    # The socket timeout bounds each read; this bounds the whole exchange, headers included, whatever trickles.
    watchdog = threading.Timer(limits.deadline - (time.monotonic() - started), _cut_off, args=(connection,))
    watchdog.daemon = True
    watchdog.start()
    try:
        if on_start is not None:
            on_start()
        if form is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request(method, path, body=urlencode(form) if form is not None else None, headers=headers)
        _arm(connection, started, limits)
        response = connection.getresponse()
        response_headers = {name.lower(): value for name, value in response.getheaders()}
        # A feed may name its WebSub hub and self URL in two Link headers: keep both, joined as HTTP allows.
        if links := response.headers.get_all("link"):
            response_headers["link"] = ", ".join(links)
        result = FetchResult(url=url, status=response.status, headers=response_headers)
        if response.status == 200 and read_body and method == "GET":
            result.body, result.bytes_received = _read_body(response, connection, started, limits)
        return result
    except (OSError, http.client.HTTPException) as error:
        if isinstance(error, TimeoutError) or time.monotonic() - started >= limits.deadline:
            raise FetchTimeout(_timeout_message(started, limits)) from None
        raise FetchError(f"The connection to {parts.hostname} failed: {error or type(error).__name__}.") from None
    finally:
        watchdog.cancel()
        connection.close()


def _cut_off(connection: http.client.HTTPConnection) -> None:
    sock = connection.sock
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            return  # already closed: nothing left to cut


def _timeout_message(started: float, limits: FetchLimits) -> str:
    if time.monotonic() - started >= limits.deadline - 0.05:
        return f"The feed took longer than {limits.deadline:g} s to download; gave up."
    return f"The feed server did not answer within {limits.connect_timeout:g} s."


def _arm(connection: http.client.HTTPConnection, started: float, limits: FetchLimits) -> None:
    """Let the next socket read wait no longer than what is left of the deadline."""
    remaining = limits.deadline - (time.monotonic() - started)
    if remaining <= 0:
        raise TimeoutError
    if connection.sock is not None:
        connection.sock.settimeout(min(remaining, limits.connect_timeout))


def _read_body(
    response: http.client.HTTPResponse, connection: http.client.HTTPConnection, started: float, limits: FetchLimits
) -> tuple[bytes, int]:
    declared = response.getheader("content-length", "")
    encoding = response.getheader("content-encoding", "").strip().lower()
    if declared.isdigit() and not encoding and int(declared) > limits.max_bytes:
        raise FetchError(_too_large(limits))
    decoder = Decoder(encoding)
    parts, size, wire = [], 0, 0
    while True:
        _arm(connection, started, limits)
        chunk = response.read1(CHUNK)
        if not chunk:
            break
        wire += len(chunk)
        data = decoder.decode(chunk, limits.max_bytes - size + 1)
        size += len(data)
        if size > limits.max_bytes:
            raise FetchError(_too_large(limits))
        parts.append(data)
    if time.monotonic() - started >= limits.deadline:
        raise TimeoutError
    if response.length:
        raise FetchError("The connection closed before the whole feed arrived.")
    decoder.finish()
    return b"".join(parts), wire


def _too_large(limits: FetchLimits) -> str:
    return f"The feed is larger than {limits.max_bytes // (1024 * 1024)} MiB (after decompression); refused."
