"""A local HTTP server that plays upstream feeds from files under tests/data/ (and hostile servers on demand).

server = FeedServer().start()
url = server.serve("/feed.xml", file="feeds/rss20.xml")
server.serve("/old", status=301, headers={"Location": server.url("/feed.xml")})
"""

import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "data"
CONTENT_TYPES = {".xml": "application/rss+xml", ".atom": "application/atom+xml", ".json": "application/feed+json"}


@dataclass
class Route:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    # Answer 304 to a request carrying this ETag in If-None-Match.
    etag: str = ""
    # Seconds between single bytes of the body (a server that trickles).
    trickle: float = 0.0
    # Seconds between single bytes of the status line and headers.
    slow_headers: float = 0.0
    # Seconds to wait before answering at all (a slow upstream; overlapping requests for the politeness tests).
    delay: float = 0.0


@dataclass
class SeenRequest:
    path: str
    headers: dict[str, str]
    # time.time() when the request arrived, and how many requests were being answered then (this one included).
    started: float = 0.0
    in_flight: int = 0


class FeedServer:
    def __init__(self, host: str = "127.0.0.1"):
        self.routes: dict[str, Route] = {}
        self.requests: list[SeenRequest] = []
        self.in_flight = 0
        self.lock = threading.Lock()
        self.httpd = _QuietServer((host, 0), _handler_for(self))
        self.httpd.daemon_threads = True
        self.host = host
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def start(self) -> "FeedServer":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def url(self, path: str) -> str:
        return f"http://{self.host}:{self.port}{path}"

    def serve(self, path: str, body: bytes | str = b"", *, file: str = "", content_type: str = "", **options) -> str:
        """Serve body (or tests/data/<file>) at path; returns the full URL."""
        if file:
            body = (DATA / file).read_bytes()
            content_type = content_type or CONTENT_TYPES.get(Path(file).suffix, "application/xml")
        if isinstance(body, str):
            body = body.encode()
        route = Route(body=body, **options)
        if content_type:
            route.headers.setdefault("Content-Type", content_type)
        self.routes[path] = route
        return self.url(path)

    def hits(self, path: str) -> list[SeenRequest]:
        return [request for request in self.requests if request.path == path]


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address) -> None:
        """Clients that hang up mid-answer (deadlines, size caps) are expected here."""


def _handler_for(server: FeedServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
            with server.lock:
                server.in_flight += 1
                seen = SeenRequest(self.path, {k.lower(): v for k, v in self.headers.items()}, time.time())
                seen.in_flight = server.in_flight
                server.requests.append(seen)
            try:
                self._route()
            finally:
                with server.lock:
                    server.in_flight -= 1

        def _route(self) -> None:
            route = server.routes.get(self.path)
            if route is not None and route.delay:
                time.sleep(route.delay)
            if route is not None and route.slow_headers:
                self._trickle(b"HTTP/1.1 200 OK\r\n" + b"X-Padding: " + b"." * 200 + b"\r\n\r\n", route.slow_headers)
            elif route is None:
                self._answer(404, {"Content-Type": "text/plain"}, b"no such feed")
            elif route.etag and self.headers.get("If-None-Match") == route.etag:
                self._answer(304, {"ETag": route.etag}, b"")
            else:
                headers = dict(route.headers) | ({"ETag": route.etag} if route.etag else {})
                self._answer(route.status, headers, route.body, trickle=route.trickle)

        def _answer(self, status: int, headers: dict[str, str], body: bytes, trickle: float = 0.0) -> None:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            if status != 304:
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if trickle:
                self._trickle(body, trickle)
            else:
                self.wfile.write(body)

        def _trickle(self, data: bytes, delay: float) -> None:
            try:
                for index in range(len(data)):
                    self.wfile.write(data[index : index + 1])
                    self.wfile.flush()
                    time.sleep(delay)
            except (BrokenPipeError, ConnectionResetError):
                return

        def log_message(self, format: str, *args) -> None:  # noqa: A002 - the stdlib's signature
            return

    return Handler
