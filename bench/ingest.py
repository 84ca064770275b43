"""Ingest benchmark: serves synthetic feeds on loopback and polls them through the real pipeline.

    DATABASE_URL=postgres://... .venv/bin/python bench/ingest.py [--feeds 200] [--entries 50] [--baseline-feeds 50]

Prints first-poll entries/s (one worker process), the per-feed cost of a 304 re-poll and of an unchanged 200
re-poll (against the parse alone), the share of time per stage, peak memory with a 15 MiB feed, and the baseline:
bare feedparser.parse(bytes) with its defaults plus a reused bleach.Cleaner on each entry.
"""

import argparse
import logging
import multiprocessing
import os
import resource
import statistics
import subprocess
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsblog.settings")
os.environ["FEEDS_ALLOW_PRIVATE_ADDRESSES"] = "true"
os.environ.setdefault("DJANGO_LOG_LEVEL", "WARNING")

PARAGRAPH = (
    "<p>The council's transport committee met on {day} to discuss the <strong>harbour bypass</strong>, a scheme "
    "first proposed in {year}. Residents told councillors that <em>traffic on Quay Street</em> had doubled, and "
    'that <a href="https://news.example.com/story/{n}?utm_source=rss&amp;utm_medium=feed&amp;ref=home">the '
    "consultation</a> had not reached the people most affected. Officers said a revised plan would follow.</p>"
)
EXTRA = (
    '<figure><img src="/images/{n}.jpg" alt="Quay Street at rush hour" width="640" height="360">'
    "<figcaption>Quay Street at rush hour.</figcaption></figure>"
    '<blockquote><p>"We were never asked," said one shopkeeper.</p></blockquote>'
    '<img src="https://pixel.example.com/t.gif?id={n}" width="1" height="1">'
    "<script>trackView({n})</script><ul><li>Bypass cost: £{n}m</li><li>Length: 3.2 km</li></ul>"
)


def synthetic_feed(feed: int, entries: int, paragraphs: int = 5) -> bytes:
    """An RSS 2.0 feed whose entries carry about 3 KB of news HTML each."""
    from xml.sax.saxutils import escape

    items = []
    for entry in range(entries):
        n = feed * 1000 + entry
        body = "".join(PARAGRAPH.format(day=f"day {i}", year=1990 + i, n=n) for i in range(paragraphs))
        body += EXTRA.format(n=n)
        items.append(
            f"<item><title>Story {n}: harbour bypass plan revised</title>"
            f"<link>https://news.example.com/story/{n}</link><guid>story-{n}</guid>"
            f"<pubDate>Tue, {1 + entry % 27:02d} Oct 2026 {entry % 24:02d}:00:00 +0000</pubDate>"
            f"<category>Transport</category><category>Council {feed % 7}</category>"
            f"<description>{escape(body)}</description></item>"
        )
    head = f"<rss version='2.0'><channel><title>Bench feed {feed}</title><link>https://news.example.com/</link>"
    return (head + "".join(items) + "</channel></rss>").encode()


def serve(feeds: dict[str, bytes], port_queue, mode) -> None:
    """Serve feeds by path; mode.value 1 answers 304 to a matching If-None-Match, 0 always sends the body."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):  # noqa: N802
            body = feeds.get(self.path)
            if body is None:
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            etag = f'"{len(body)}-{hash(self.path) & 0xFFFF}"'
            if mode.value and self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.send_header("ETag", etag)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
            self.send_header("ETag", etag)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    port_queue.put(server.server_address[1])
    server.serve_forever()


class StageTimes(logging.Handler):
    """Collects the per-stage timings feed_poll logs on "feeds.poll"."""

    def __init__(self):
        super().__init__(level=logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record):
        self.records.append(record)

    def totals(self) -> dict[str, float]:
        stages = ("fetch", "parse", "sanitize", "store")
        return {stage: sum(getattr(r, f"{stage}_ms", 0.0) for r in self.records) for stage in stages}


def setup_django():
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def baseline_feed(body: bytes, cleaners: list) -> tuple[list[float], int]:
    """Seconds per cleaner for feedparser defaults plus that reused bleach Cleaner on each entry; and entries."""
    import feedparser

    started = time.perf_counter()
    entries = feedparser.parse(body).entries
    parse_seconds = time.perf_counter() - started
    seconds = []
    for cleaner in cleaners:
        started = time.perf_counter()
        for entry in entries:
            cleaner.clean(entry.get("summary", ""))
        seconds.append(parse_seconds + time.perf_counter() - started)
    return seconds, len(entries)


def baseline_cleaners() -> list:
    """bleach.Cleaner() as shipped, and one with our allowlist (the same job our sanitize stage does)."""
    import bleach

    from feeds.ingest import sanitize

    ours = bleach.Cleaner(
        tags=sanitize.ALLOWED_TAGS,
        attributes=sanitize.ALLOWED_ATTRIBUTES,
        protocols=sanitize.ALLOWED_PROTOCOLS,
        strip=True,
    )
    return [bleach.Cleaner(), ours]


def poll_all(sources, bodies=None) -> tuple[list[float], list[float], int]:
    """Poll every source; with bodies, time the baselines on the same feed right before each poll (same load)."""
    from feeds.services import feed_poll

    cleaners, costs, base_seconds, base_entries = baseline_cleaners(), [], [0.0, 0.0], 0
    for index, source in enumerate(sources):
        if bodies is not None and index < len(bodies):
            seconds, entries = baseline_feed(bodies[index], cleaners)
            base_seconds = [total + more for total, more in zip(base_seconds, seconds, strict=True)]
            base_entries += entries
        source.refresh_from_db()
        started = time.perf_counter()
        feed_poll(source=source)
        costs.append(time.perf_counter() - started)
    return costs, base_seconds, base_entries


def high_water_mb() -> float:
    """This process's peak resident memory (VmHWM; ru_maxrss would include the parent's peak after fork)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def memory_run(port: int) -> None:
    """In a fresh process: poll one 15 MiB feed and print the peak RSS."""
    setup_django()
    from feeds.models import Source
    from feeds.services import feed_poll

    Source.objects.filter(slug="bench-big").delete()
    source = Source.objects.create(name="bench big", slug="bench-big", feed_url=f"http://127.0.0.1:{port}/big.xml")
    attempt = feed_poll(source=source)
    peak = high_water_mb()
    print(
        f"  15 MiB feed: {attempt.outcome}, {attempt.bytes_received / 2**20:.1f} MiB, {attempt.entries_new} posts "
        f"stored (200 max), peak RSS {peak:.0f} MB (target < 200 MB)"
    )
    Source.objects.filter(slug="bench-big").delete()


def build_feeds(count: int, entries: int) -> dict[str, bytes]:
    """The synthetic feeds by path, plus /big.xml just under the 15 MiB cap."""
    print(f"Building {count} feeds x {entries} entries ...")
    feeds = {f"/feed/{n}.xml": synthetic_feed(n, entries) for n in range(count)}
    big_entries = 15 * 2**20 // (len(synthetic_feed(0, 100)) // 100)
    while len(big := synthetic_feed(9999, big_entries)) > 15 * 2**20 - 4096:
        big_entries -= 40
    feeds["/big.xml"] = big
    sizes = [len(body) for path, body in feeds.items() if path != "/big.xml"]
    print(
        f"  feed size {statistics.mean(sizes) / 1024:.0f} KB, entry ~{sizes[0] / entries / 1024:.1f} KB; "
        f"big feed {len(big) / 2**20:.1f} MiB with {big_entries} entries"
    )
    return feeds


def capture_stage_times() -> StageTimes:
    stage_times = StageTimes()
    poll_logger = logging.getLogger("feeds.poll")
    poll_logger.addHandler(stage_times)
    poll_logger.setLevel(logging.INFO)
    poll_logger.propagate = False
    return stage_times


def first_poll(sources, base_bodies: list[bytes], entries: int, stage_times: StageTimes) -> None:
    first, base_seconds, base_entries = poll_all(sources, base_bodies)
    per_entry = sum(first) / entries * 1000
    print("\nFirst poll (fetch, parse, sanitize, store), one worker process:")
    print(
        f"  {entries / sum(first):.0f} entries/s; {per_entry:.2f} ms/entry; {statistics.mean(first) * 1000:.0f} ms/feed"
    )
    labels = ["bleach.Cleaner() defaults", "bleach.Cleaner with our allowlist"]
    for label, seconds in zip(labels, base_seconds, strict=True):
        base_per_entry = seconds / base_entries * 1000
        print(
            f"  baseline feedparser defaults + {label} ({base_entries} entries): {base_per_entry:.2f} ms/entry "
            f"-> pipeline/baseline = {per_entry / base_per_entry:.2f}x (target <= 1.0x)"
        )
    totals = stage_times.totals()
    stage_sum = sum(totals.values())
    print("  share of time: " + ", ".join(f"{k} {v / stage_sum:.0%}" for k, v in totals.items()))


def unchanged_repoll(sources, base_bodies: list[bytes], stage_times: StageTimes) -> None:
    from django.utils import timezone

    from feeds.ingest.parse import parse_feed

    stage_times.records.clear()
    unchanged, _s, _e = poll_all(sources)
    totals = stage_times.totals()
    parse_only, now = [], timezone.now()
    for body in base_bodies:
        started = time.perf_counter()
        parse_feed(body, url="http://127.0.0.1/", headers={"content-type": "application/rss+xml"}, fetched_at=now)
        parse_only.append(time.perf_counter() - started)
    written = sum(r.new + r.updated for r in stage_times.records)
    print(
        f"Unchanged 200 re-poll: {statistics.mean(unchanged) * 1000:.1f} ms/feed; its parse alone "
        f"{statistics.mean(parse_only) * 1000:.1f} ms/feed; sanitize {totals['sanitize'] / len(unchanged):.2f} "
        f"ms/feed; rows written {written} (target: costs no more than its parse, nothing sanitized or written)"
    )
    print("  time: " + ", ".join(f"{k} {v / len(unchanged):.1f} ms/feed" for k, v in totals.items()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--feeds", type=int, default=200)
    parser.add_argument("--entries", type=int, default=50)
    parser.add_argument("--baseline-feeds", type=int, default=200, help="feeds also timed for the baseline")
    parser.add_argument("--memory-port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_port:
        memory_run(args.memory_port)
        return
    feeds = build_feeds(args.feeds, args.entries)
    mode, ports = multiprocessing.Value("i", 1), multiprocessing.Queue()
    server = multiprocessing.Process(target=serve, args=(feeds, ports, mode), daemon=True)
    server.start()
    port = ports.get(timeout=30)

    setup_django()
    from django.db import connection

    from feeds.models import Source

    print(f"Database: {connection.vendor} ({connection.settings_dict['NAME']})")
    Source.objects.filter(slug__startswith="bench-").delete()
    sources = [
        Source.objects.create(name=f"bench {n}", slug=f"bench-{n}", feed_url=f"http://127.0.0.1:{port}/feed/{n}.xml")
        for n in range(args.feeds)
    ]
    stage_times = capture_stage_times()
    base_bodies = [feeds[f"/feed/{n}.xml"] for n in range(min(args.baseline_feeds, args.feeds))]
    first_poll(sources, base_bodies, args.feeds * args.entries, stage_times)

    not_modified, _s, _e = poll_all(sources)
    print(
        f"\n304 re-poll: {statistics.mean(not_modified) * 1000:.2f} ms/feed "
        f"(median {statistics.median(not_modified) * 1000:.2f}; target <= 5 ms)"
    )
    mode.value = 0
    unchanged_repoll(sources, base_bodies, stage_times)

    print(f"\nPeak memory: this process {high_water_mb():.0f} MB (it holds every synthetic feed for the server)")
    subprocess.run([sys.executable, __file__, "--memory-port", str(port)], check=True)
    Source.objects.filter(slug__startswith="bench-").delete()
    server.terminate()


if __name__ == "__main__":
    main()
