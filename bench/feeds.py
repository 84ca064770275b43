"""Synthetic news feeds for the system benchmarks: deterministic titles, guids and bodies."""

from xml.sax.saxutils import escape

PARAGRAPH = (
    "Officials met on {day} to discuss the {topic} talks, which have dragged on for months. "
    "Observers said the meeting was constructive but that several issues remain open, "
    "including trade, security and the timetable for the next round."
)
TOPICS = ["trade", "climate", "energy", "health", "transport", "housing", "budget", "water"]


def entry_guid(source: int, entry: int) -> str:
    return f"urn:bench:source-{source}:entry-{entry}"


def rss_feed(source: int, entries: int, base: str = "https://news.example.org", *, first: int = 0) -> bytes:
    """One RSS 2.0 feed of `entries` news posts of about 1.5 KB each, numbered from `first` (a feed that grew)."""
    items = []
    for entry in range(first, first + entries):
        topic = TOPICS[(source + entry) % len(TOPICS)]
        body = "".join(f"<p>{PARAGRAPH.format(day=f'day {entry}', topic=topic)}</p>" for _ in range(4))
        items.append(
            f"<item><title>Source {source} story {entry}: {topic} talks continue</title>"
            f"<link>{base}/s{source}/story-{entry}</link><guid isPermaLink='false'>{entry_guid(source, entry)}</guid>"
            f"<pubDate>Mon, {1 + entry % 27:02d} Sep 2026 {entry % 24:02d}:00:00 +0000</pubDate>"
            f"<category>{topic}</category><description>{escape(body)}</description></item>"
        )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Bench source {source}</title>'
        f"<link>{base}/s{source}</link><description>bench</description>{''.join(items)}</channel></rss>"
    ).encode()


def bench_feeds(sources: int, entries: int) -> dict[str, bytes]:
    """Path -> body for `sources` feeds of `entries` posts each."""
    return {f"s{source}.xml": rss_feed(source, entries) for source in range(sources)}


def expected_posts(sources: int, entries: int) -> set[tuple[str, str]]:
    """(feed path, guid) of every post a clean run stores."""
    return {(f"s{s}.xml", entry_guid(s, e)) for s in range(sources) for e in range(entries)}
