"""Concurrent poll benchmark (`bench/ingest.py --slow`): 200 sources on loopback, 20 of them answering after 10 s,
polled through the real `manage.py pollfeeds --all` path, once with the default --concurrency and once with
--concurrency 1; prints both wall times (target: <= 40 s concurrently; sequentially it is about 200 s).

    .venv/bin/python bench/ingest.py --slow [--no-sequential]   # the embedded default: fresh SQLite file, no Redis
    DATABASE_URL=postgres://... .venv/bin/python bench/ingest.py --slow

How the hosts are laid out, and why: per-host politeness (2 requests in flight, 1 s between starts to one host)
would make 200 sources on the one host 127.0.0.1 take at least 200 s by design, whatever the concurrency. The
whole of 127.0.0.0/8 is loopback on Linux, so the feeds are served from 40 loopback addresses (127.0.0.2 to
127.0.0.41), 5 sources each, one server per address: politeness stays on and is what a real mix of hosts meets,
and the bench measures concurrency. The 20 slow sources are on 20 different hosts (one each), so no host's
politeness queues two slow answers behind each other. Without DATABASE_URL the run uses a fresh SQLite file in a
temporary folder (never the project's db.sqlite3); without REDIS_URL the in-process limiter.
"""

import multiprocessing
import os
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import StringIO
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SOURCES = 200
SLOW_SOURCES = 20
SLOW_SECONDS = 10.0
HOSTS = [f"127.0.0.{n}" for n in range(2, 42)]
ENTRIES = 10
TARGET_SECONDS = 40.0


def feed_body(n: int) -> bytes:
    items = "".join(
        f"<item><guid>slow-bench-{n}-{e}</guid><title>Story {n}.{e}</title><link>https://news.example.com/{n}/{e}"
        f"</link><pubDate>Mon, 30 Nov 2026 {e:02d}:00:00 +0000</pubDate><description>&lt;p&gt;Harbour news {n} "
        f"{e}, told in a few plain words.&lt;/p&gt;</description></item>"
        for e in range(ENTRIES)
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>Feed {n}</title>{items}</channel></rss>'.encode()


def is_slow(n: int) -> bool:
    """Every tenth source answers slowly (0, 10, ..., 190): spread through the list, as slow sites are."""
    return n % (SOURCES // SLOW_SOURCES) == 0


def host_of_source(n: int) -> str:
    """Each block of 40 sources takes the 40 hosts once, rotated by one a block: 5 sources a host, and the 20 slow
    ones on 20 different hosts (0, 10, 20, 30, then 1, 11, 21, 31, ...)."""
    return HOSTS[(n + n // len(HOSTS)) % len(HOSTS)]


def serve(ports) -> None:
    """One threaded server per loopback address. A path /slow/N.xml takes SLOW_SECONDS to answer in full: half its
    body after half the time, the rest at the end (the fetcher cuts a server silent for 10 s, its read timeout)."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):  # noqa: N802 - the stdlib's name
            n = int(self.path.rsplit("/", 1)[1].split(".")[0])
            body = feed_body(n)
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.path.startswith("/slow/"):
                half = len(body) // 2
                for part in (body[:half], body[half:]):
                    self.wfile.flush()
                    time.sleep(SLOW_SECONDS / 2)
                    self.wfile.write(part)
            else:
                self.wfile.write(body)

        def log_message(self, *args):
            return

    class QuietServer(ThreadingHTTPServer):
        daemon_threads = True

        def handle_error(self, request, client_address):
            """A client that gives up (its deadline) is part of the test, not news."""

    servers = []
    for host in HOSTS:
        server = QuietServer((host, 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
    ports.put({host: server.server_address[1] for host, server in zip(HOSTS, servers, strict=True)})
    threading.Event().wait()


def setup_django(folder: str) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsblog.settings")
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{folder}/bench-slow.sqlite3")
    os.environ["FEEDS_ALLOWED_NETWORKS"] = "127.0.0.0/8"
    os.environ.setdefault("DJANGO_LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def fresh_sources(ports: dict[str, int]) -> None:
    """The 200 bench sources, new (no posts, no ETag), all due."""
    from feeds.models import Source

    Source.objects.filter(slug__startswith="slow-bench-").delete()
    Source.objects.bulk_create(
        Source(name=f"slow bench {n:03d}", slug=f"slow-bench-{n:03d}", feed_url=feed_url(n, ports))
        for n in range(SOURCES)
    )


def feed_url(n: int, ports: dict[str, int]) -> str:
    host = host_of_source(n)
    return f"http://{host}:{ports[host]}/{'slow' if is_slow(n) else 'fast'}/{n}.xml"


def timed_poll(ports: dict[str, int], *, concurrency: int) -> tuple[float, str]:
    """Wall seconds of `pollfeeds --all --concurrency N` over fresh sources, and its summary line."""
    from django.core.management import call_command

    from feeds.models import Source

    fresh_sources(ports)
    output = StringIO()
    started = time.perf_counter()
    call_command("pollfeeds", "--all", "--concurrency", str(concurrency), stdout=output, stderr=StringIO())
    seconds = time.perf_counter() - started
    summary = next(line for line in output.getvalue().splitlines() if " polled, " in line)
    Source.objects.filter(slug__startswith="slow-bench-").delete()
    return seconds, summary


def main(*, sequential: bool = True) -> int:
    ports_queue = multiprocessing.Queue()
    server = multiprocessing.Process(target=serve, args=(ports_queue,), daemon=True)
    server.start()
    ports = ports_queue.get(timeout=30)
    with tempfile.TemporaryDirectory() as folder:
        setup_django(folder)
        from django.db import connection

        from feeds.management.commands.pollfeeds import DEFAULT_CONCURRENCY

        print(f"Database: {connection.vendor}; limiter: {'Redis' if os.environ.get('REDIS_URL') else 'in-process'}")
        print(
            f"{SOURCES} sources on {len(HOSTS)} loopback hosts ({SOURCES // len(HOSTS)} each), {SLOW_SOURCES} of them "
            f"answering after {SLOW_SECONDS:g} s; politeness on (2 in flight, 1 s between starts per host)"
        )
        concurrent, summary = timed_poll(ports, concurrency=DEFAULT_CONCURRENCY)
        verdict = "meets" if concurrent <= TARGET_SECONDS else "MISSES"
        print(f"pollfeeds --all --concurrency {DEFAULT_CONCURRENCY}: {concurrent:.1f} s ({summary}) ")
        print(f"  target <= {TARGET_SECONDS:g} s: {verdict}")
        if sequential:
            sequential, summary = timed_poll(ports, concurrency=1)
            print(f"pollfeeds --all --concurrency 1: {sequential:.1f} s ({summary})")
            print(f"  {sequential / concurrent:.1f}x faster with --concurrency {DEFAULT_CONCURRENCY}")
        connection.close()
    server.terminate()
    return 0


if __name__ == "__main__":
    sys.exit(main(sequential="--no-sequential" not in sys.argv))
