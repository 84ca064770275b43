"""Storing copies of one story as ingest does: through the store stage, in one transaction per call."""

import hashlib
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

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
    """Store entries for source as one poll does (the store stage, in the poll's transaction)."""
    with transaction.atomic():
        return store_entries_tolerant(source=source, entries=list(entries), now=now or timezone.now())
