"""Benchmark hostile documents: time and memory the fingerprint and the parse stage spend on attacks.

The unit tests check what these documents yield (bounded entries, no expansion); the costs are measured here,
where a loaded machine makes a slow figure, not a failed test. No database needed:
    .venv/bin/python bench/hostile.py

Targets: each document under 1 s of CPU, and the parse's peak memory growing by less than 50 MiB.
"""

import os
import resource
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsblog.settings")

import django  # noqa: E402

django.setup()

from feeds.ingest.fingerprint import feed_fingerprint  # noqa: E402
from feeds.ingest.parse import parse_feed  # noqa: E402

DATA = ROOT / "tests/data/feeds"
HEADERS = {"content-type": "application/rss+xml; charset=utf-8"}
RSS = (
    b"<?xml version='1.0'?><rss version='2.0'><channel><title>T</title>"
    b"<item><title>One</title><guid>1</guid></item></channel></rss>"
)
CPU_TARGET_SECONDS = 1.0
MEMORY_TARGET_KIB = 50 * 1024


def cpu_seconds(work) -> float:
    started = time.process_time()
    work()
    return time.process_time() - started


def fingerprint_comment_runs() -> float:
    """Two million "<!--" before and after a feed: the fingerprint must stay linear in the document's size."""

    def work() -> None:
        feed_fingerprint(feed_url="https://example.com/feed.xml", headers=HEADERS, body=RSS + b"<!--" * 2_000_000)
        feed_fingerprint(feed_url="https://example.com/feed.xml", headers=HEADERS, body=b"<!--" * 2_000_000 + RSS)

    return cpu_seconds(work)


def parse_expansion(name: str) -> tuple[float, int]:
    """CPU seconds and growth of the peak resident memory (KiB) to parse an entity-expansion attack."""
    body = (DATA / name).read_bytes()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    seconds = cpu_seconds(
        lambda: parse_feed(
            body,
            url="https://example.com/feed.xml",
            headers={"Content-Type": "application/xml"},
            fetched_at=datetime.now(UTC),
        )
    )
    return seconds, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before


def main() -> int:
    failed = False
    seconds = fingerprint_comment_runs()
    failed |= seconds >= CPU_TARGET_SECONDS
    print(f"fingerprint, 2 x 2,000,000 comment openers: {seconds:.3f} s CPU (target < {CPU_TARGET_SECONDS} s)")
    for name in ("billion_laughs.xml", "quadratic_blowup.xml"):
        seconds, grown_kib = parse_expansion(name)
        failed |= seconds >= CPU_TARGET_SECONDS or grown_kib >= MEMORY_TARGET_KIB
        print(f"parse {name}: {seconds:.3f} s CPU, peak memory +{grown_kib / 1024:.1f} MiB (target < 50 MiB)")
    print("RESULT:", "FAILED, a target was missed" if failed else "ok")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
