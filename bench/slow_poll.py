"""Concurrent poll benchmark (`bench/ingest.py --slow`): 200 sources on loopback, 20 of them answering after 10 s,
polled through the real `manage.py pollfeeds --all` path, once with the default --concurrency and once with
--concurrency 1; prints both wall times (target: <= 40 s concurrently; sequentially it is about 200 s). Each
measured run is a scheduled poll: the sources were polled once before (that first poll is printed, not measured)
and every feed has 2 new entries since the run before.

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
import random
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
# New entries in each feed between two runs: what a scheduled poll finds.
NEW_PER_RUN = 2
TARGET_SECONDS = 40.0


# Each entry's words drawn from this made-up vocabulary: stories that differ from each other, as real ones do
# (entries cut from one template would all be near-copies of one story, and the story matching would be measured).
VOCABULARY = [
    f"{a}{b}{c}"
    for a in ("har", "bo", "qua", "tre", "min", "sel")
    for b in ("ba", "do", "ki", "lu", "ne")
    for c in ("r", "st", "m", "nd", "x", "l", "th")
]


def feed_body(n: int, generation: int) -> bytes:
    """Feed n as it stands at a generation: its latest ENTRIES entries, NEW_PER_RUN more each generation."""
    items = []
    for e in range(generation * NEW_PER_RUN, generation * NEW_PER_RUN + ENTRIES):
        rng = random.Random(n * 100_000 + e)
        title = " ".join(rng.choices(VOCABULARY, k=6)).capitalize()
        text = " ".join(rng.choices(VOCABULARY, k=60))
        items.append(
            f"<item><guid>slow-bench-{n}-{e}</guid><title>{title}</title><link>https://news.example.com/{n}/{e}</link>"
            f"<pubDate>Mon, 30 Nov 2026 {e % 24:02d}:{e // 24:02d}:00 +0000</pubDate>"
            f"<description>&lt;p&gt;{text}.&lt;/p&gt;</description></item>"
        )
    channel = f"<channel><title>Feed {n}</title>{''.join(items)}</channel>"
    return f'<?xml version="1.0"?><rss version="2.0">{channel}</rss>'.encode()


def is_slow(n: int) -> bool:
    """Every tenth source answers slowly (0, 10, ..., 190): spread through the list, as slow sites are."""
    return n % (SOURCES // SLOW_SOURCES) == 0


def host_of_source(n: int) -> str:
    """Each block of 40 sources takes the 40 hosts once, rotated by one a block: 5 sources a host, and the 20 slow
    ones on 20 different hosts (0, 10, 20, 30, then 1, 11, 21, 31, ...)."""
    return HOSTS[(n + n // len(HOSTS)) % len(HOSTS)]


def serve(ports, generation) -> None:
    """One threaded server per loopback address. A path /slow/N.xml takes SLOW_SECONDS to answer in full: half its
    body after half the time, the rest at the end (the fetcher cuts a server silent for 10 s, its read timeout)."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):  # noqa: N802 - the stdlib's name
            n = int(self.path.rsplit("/", 1)[1].split(".")[0])
            body = feed_body(n, generation.value)
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


def add_sources(ports: dict[str, int]) -> None:
    """The 200 bench sources, new (no posts, no ETag)."""
    from feeds.models import Source

    Source.objects.filter(slug__startswith="slow-bench-").delete()
    Source.objects.bulk_create(
        Source(name=f"slow bench {n:03d}", slug=f"slow-bench-{n:03d}", feed_url=feed_url(n, ports))
        for n in range(SOURCES)
    )


def feed_url(n: int, ports: dict[str, int]) -> str:
    host = host_of_source(n)
    return f"http://{host}:{ports[host]}/{'slow' if is_slow(n) else 'fast'}/{n}.xml"


def timed_poll(generation, *, concurrency: int) -> tuple[float, float, str]:
    """Wall and CPU seconds of `pollfeeds --all --concurrency N` after every feed got NEW_PER_RUN new entries, and
    its summary line."""
    from django.core.management import call_command

    generation.value += 1
    output = StringIO()
    started, started_cpu = time.perf_counter(), time.process_time()
    call_command("pollfeeds", "--all", "--concurrency", str(concurrency), stdout=output, stderr=StringIO())
    seconds, cpu = time.perf_counter() - started, time.process_time() - started_cpu
    summary = next(line for line in output.getvalue().splitlines() if " polled, " in line)
    return seconds, cpu, summary


def main(*, sequential: bool = True) -> int:
    ports_queue, generation = multiprocessing.Queue(), multiprocessing.Value("i", 0)
    server = multiprocessing.Process(target=serve, args=(ports_queue, generation), daemon=True)
    server.start()
    ports = ports_queue.get(timeout=30)
    with tempfile.TemporaryDirectory() as folder:
        setup_django(folder)
        from django.db import connection

        from feeds.management.commands.pollfeeds import DEFAULT_CONCURRENCY
        from feeds.models import Source

        print(f"Database: {connection.vendor}; limiter: {'Redis' if os.environ.get('REDIS_URL') else 'in-process'}")
        print(
            f"{SOURCES} sources on {len(HOSTS)} loopback hosts ({SOURCES // len(HOSTS)} each), {SLOW_SOURCES} of them "
            f"answering after {SLOW_SECONDS:g} s; politeness on (2 in flight, 1 s between starts per host)"
        )
        add_sources(ports)
        warm, _cpu, summary = timed_poll(generation, concurrency=DEFAULT_CONCURRENCY)
        print(f"first poll of the new sources ({ENTRIES} entries each), not the measure: {warm:.1f} s ({summary})")
        print(f"Each run below: every feed has {NEW_PER_RUN} new entries since the run before (a scheduled poll)")
        concurrent, cpu, summary = timed_poll(generation, concurrency=DEFAULT_CONCURRENCY)
        verdict = "meets" if concurrent <= TARGET_SECONDS else "MISSES"
        label = f"pollfeeds --all --concurrency {DEFAULT_CONCURRENCY}"
        print(f"{label}: {concurrent:.1f} s wall, {cpu:.1f} s CPU ({summary})")
        print(f"  target <= {TARGET_SECONDS:g} s wall: {verdict}")
        if sequential:
            one_at_a_time, cpu, summary = timed_poll(generation, concurrency=1)
            print(f"pollfeeds --all --concurrency 1: {one_at_a_time:.1f} s wall, {cpu:.1f} s CPU ({summary})")
            print(f"  {one_at_a_time / concurrent:.1f}x faster with --concurrency {DEFAULT_CONCURRENCY}")
        Source.objects.filter(slug__startswith="slow-bench-").delete()
        connection.close()
    server.terminate()
    return 0


if __name__ == "__main__":
    sys.exit(main(sequential="--no-sequential" not in sys.argv))
