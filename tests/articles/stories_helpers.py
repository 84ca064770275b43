"""Storing copies of one story as ingest does: through the store stage, in one transaction per call."""

import hashlib
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from articles.pagecache import invalidate_posts_on_commit
from feeds.ingest.parse import ParsedEntry
from feeds.ingest.store import PreparedEntry, store_entries_tolerant
from feeds.models import Source

BODY = "<p>Leaders of twelve nations ended their summit in Lisbon on Monday with a pact on river pollution.</p>"


def entry(guid: str, url: str, *, title: str = "Summit ends with a pact", body: str = BODY, published_at=None):
    published_at = published_at or timezone.now() - timedelta(hours=1)
    raw_hash = hashlib.sha256(f"{guid}{url}{title}{body}".encode()).hexdigest()
    parsed = ParsedEntry(
        guid=guid,
        url=url,
        title=title,
        author="",
        content_html=body,
        content_base=url,
        published_at=published_at,
        raw_hash=raw_hash,
    )
    return PreparedEntry(parsed=parsed, body_html=body, excerpt=body[3:-4], image_url="")


def store(source: Source, *entries: PreparedEntry, now: datetime | None = None):
    """Store entries for source as one poll does (the store stage, in the poll's transaction, whose commit drops the
    pages showing the posts it wrote: feeds.services.feed_ingest)."""
    with transaction.atomic():
        result = store_entries_tolerant(source=source, entries=list(entries), now=now or timezone.now())
        invalidate_posts_on_commit(result.written)
        return result


SUMMIT = [
    "Leaders of twelve nations ended a two-day summit in Lisbon on Monday with a pact to cut river pollution by half "
    "before 2035, after talks that ran through the night over who should pay for new treatment plants.",
    "The agreement commits each country to publish monthly measurements from at least forty river stations, and "
    "sets up a fund of four billion euros that poorer members can draw on from next spring.",
    "Portugal's prime minister, who chaired the meeting, called it the most ambitious water deal the region had "
    "seen in a generation, while campaigners said the targets were welcome but came a decade too late.",
    "Negotiators said the last obstacle was a dispute over farm run-off, settled when two northern states agreed "
    "to phase out the fertilisers most often found in the Tagus and the Douro basins.",
    "The pact still has to be ratified by national parliaments, several of which face elections next year.",
]
# The same place, people and topic, another event: a hard negative.
SUMMIT_BEGINS = [
    "Leaders of twelve nations arrived in Lisbon on Saturday for a summit on river pollution, with police closing "
    "streets around the congress centre and protesters gathering near the port.",
    "Portugal's prime minister, who will chair the meeting, said on arrival that he expected difficult talks over "
    "who should pay for treatment plants, and warned that no deal was certain.",
    "Campaigners delivered a petition with two hundred thousand signatures calling for tougher limits on farm "
    "run-off, and several ministers met them briefly outside the hotel where delegations are staying.",
    "Officials said the first day would be given over to reports from scientists on the state of the Tagus and "
    "Douro basins, with political talks beginning on Sunday morning.",
]


def html_of(paragraphs: list[str]) -> str:
    return "".join(f"<p>{paragraph}</p>" for paragraph in paragraphs)


# A later story that repeats two background paragraphs of SUMMIT: shares LSH bands with it, but is not it.
FOLLOW_UP = [
    "Portugal's parliament on Thursday became the first to ratify the Lisbon river pact, by 180 votes to 34, "
    "after a debate in which the opposition accused the government of hiding the cost to farmers.",
    "The environment minister told deputies that the first treatment plants would be tendered in January and "
    "that the country expected to draw about three hundred million euros from the common fund.",
    "Farmers' unions said they would challenge the fertiliser rules in court, and tractors blocked two motorway "
    "junctions near Santarém for most of the afternoon.",
    *SUMMIT[3:5],
]
