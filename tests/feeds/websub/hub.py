"""A WebSub hub on 127.0.0.1, written to the W3C Recommendation (2018), for tests.

hub = WebSubHub().start()
hub.url                                  # what a feed names as rel="hub"
hub.wait_for(topic)                      # the verified subscription (callback, secret, lease)
hub.publish(topic, body)                 # signed content distribution to every subscriber of topic

It answers subscription requests with 202 and verifies intent afterwards, in its own thread, by a GET on the
callback that must echo hub.challenge; `deny_reason` makes it deny instead, `grant_lease` grants its own lease.
Signatures are computed here with hmac directly, not with the code under test.
"""

import hashlib
import hmac
import secrets
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode

import pytest

DIGESTS = {"sha1": hashlib.sha1, "sha256": hashlib.sha256, "sha384": hashlib.sha384, "sha512": hashlib.sha512}


@dataclass
class HubSubscription:
    topic: str
    callback: str
    secret: str
    lease_seconds: int


@dataclass
class Verification:
    mode: str
    topic: str
    callback: str
    status: int
    echoed: bool


@dataclass
class Delivery:
    status: int
    seconds: float


@dataclass
class WebSubHub:
    grant_lease: int | None = None
    deny_reason: str = ""
    # The status answered to subscription requests (202 by the spec; anything else is a refusal).
    request_status: int = 202
    subscriptions: dict[tuple[str, str], HubSubscription] = field(default_factory=dict)
    verifications: list[Verification] = field(default_factory=list)
    requests: list[dict[str, str]] = field(default_factory=list)

    def __post_init__(self):
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        self.changed = threading.Condition()

    def start(self) -> "WebSubHub":
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def handle_request(self, form: dict[str, str]) -> int:
        """A subscriber's POST: 202 and verification later, or 400 for a malformed request."""
        self.requests.append(form)
        mode, topic, callback = form.get("hub.mode"), form.get("hub.topic"), form.get("hub.callback")
        if mode not in ("subscribe", "unsubscribe") or not topic or not callback:
            return 400
        if self.request_status != 202:
            return self.request_status
        threading.Thread(target=self._verify, args=(form,), daemon=True).start()
        return 202

    def _verify(self, form: dict[str, str]) -> None:
        mode, topic, callback = form["hub.mode"], form["hub.topic"], form["hub.callback"]
        if mode == "subscribe" and self.deny_reason:
            self.get(callback, {"hub.mode": "denied", "hub.topic": topic, "hub.reason": self.deny_reason})
            self._record(Verification("denied", topic, callback, 200, False))
            return
        lease = self.grant_lease or int(form.get("hub.lease_seconds") or 864000)
        status, echoed = self.verify_intent(callback, mode=mode, topic=topic, lease_seconds=lease)
        with self.changed:
            if echoed and mode == "subscribe":
                self.subscriptions[topic, callback] = HubSubscription(
                    topic, callback, form.get("hub.secret", ""), lease
                )
            elif echoed:
                self.subscriptions.pop((topic, callback), None)
        self._record(Verification(mode, topic, callback, status, echoed))

    def verify_intent(self, callback: str, *, mode: str, topic: str, lease_seconds: int = 0) -> tuple[int, bool]:
        """GET the callback with a fresh challenge; (status, whether the body echoed it exactly)."""
        challenge = secrets.token_urlsafe(24)
        query = {"hub.mode": mode, "hub.topic": topic, "hub.challenge": challenge}
        if mode == "subscribe":
            query["hub.lease_seconds"] = str(lease_seconds)
        status, body = self.get(callback, query)
        return status, 200 <= status < 300 and body == challenge.encode()

    def get(self, callback: str, query: dict[str, str]) -> tuple[int, bytes]:
        separator = "&" if "?" in callback else "?"
        try:
            with urllib.request.urlopen(callback + separator + urlencode(query), timeout=10) as response:  # noqa: S310
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def _record(self, verification: Verification) -> None:
        with self.changed:
            self.verifications.append(verification)
            self.changed.notify_all()

    def wait_for(self, condition, seconds: float = 20):
        """Wait until condition(hub) is truthy (checked after every verification); returns its value."""
        deadline = time.monotonic() + seconds
        with self.changed:
            while not (found := condition(self)):
                left = deadline - time.monotonic()
                assert left > 0, f"the hub never saw it; verifications: {self.verifications}"
                self.changed.wait(min(left, 0.2))
        return found

    def subscribed(self, topic: str) -> HubSubscription | None:
        return next(
            (sub for (subscribed_topic, _cb), sub in self.subscriptions.items() if subscribed_topic == topic), None
        )

    def publish(
        self,
        topic: str,
        body: bytes,
        *,
        content_type: str = "application/atom+xml",
        method: str = "sha256",
        secret: str | None = None,
        signed: bool = True,
    ) -> list[Delivery]:
        """Content distribution to every verified subscriber of topic, signed with its secret (or `secret`)."""
        deliveries = []
        for subscription in [sub for (t, _cb), sub in list(self.subscriptions.items()) if t == topic]:
            headers = {"Content-Type": content_type, "Link": f'<{self.url}>; rel="hub", <{topic}>; rel="self"'}
            if signed:
                key = subscription.secret if secret is None else secret
                headers["X-Hub-Signature"] = signature(body, key, method)
            deliveries.append(post(subscription.callback, body, headers))
        return deliveries


def signature(body: bytes, secret: str, method: str = "sha256") -> str:
    """The X-Hub-Signature header a hub sends: the method and the hex HMAC of the raw body."""
    return f"{method}={hmac.new(secret.encode(), body, DIGESTS[method]).hexdigest()}"


def post(url: str, body: bytes, headers: dict[str, str]) -> Delivery:
    started = time.monotonic()
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            status = response.status
    except urllib.error.HTTPError as error:
        status = error.code
    return Delivery(status, time.monotonic() - started)


def _handler_for(hub: WebSubHub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
            length = int(self.headers.get("Content-Length") or 0)
            form = {key: values[0] for key, values in parse_qs(self.rfile.read(length).decode()).items()}
            status = hub.handle_request(form)
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args) -> None:  # noqa: A002 - the stdlib's signature
            return

    return Handler


@pytest.fixture(name="hub")
def hub_fixture():
    """A local WebSub hub (tests/feeds/websub/hub.py), stopped after the test."""
    server = WebSubHub().start()
    yield server
    server.stop()
