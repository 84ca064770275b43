"""The bundled sample feeds: three sources and about sixty posts, loaded through the normal ingest path."""

import hashlib
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db.models import Value
from django.db.models.functions import Replace
from django.utils import timezone

from articles.models import Article
from feeds.ingest.parse import ParsedFeed
from feeds.ingest.store import StoreResult
from feeds.models import Source
from feeds.services import feed_ingest

SAMPLES_DIR = Path(__file__).resolve().parent / "static" / "feeds" / "samples"
DISABLED_REASON = "Bundled sample feed, loaded from disk by `manage.py loadsamples`; it is not polled."
# Part of each file's marker: a new version reloads every sample post, even from unchanged files.
# 2: images are stored as site-relative static paths, so they show on whatever address serves the site.
LOADER_VERSION = 2


@dataclass(frozen=True)
class Sample:
    slug: str
    name: str
    file: str
    content_type: str


SAMPLES = [
    Sample("harbour-town-gazette", "Harbour Town Gazette", "harbour-gazette.xml", "application/rss+xml"),
    Sample("northern-tech-review", "Northern Tech Review", "northern-tech.atom", "application/atom+xml"),
    Sample("field-notes", "Field Notes", "field-notes.json", "application/feed+json"),
]


def sample_load(*, sample: Sample) -> tuple[Source, StoreResult | None]:
    """Parse, sanitize and store one sample feed; None when the file is unchanged since the last load."""
    body = (SAMPLES_DIR / sample.file).read_bytes()
    # The file's hash plays the ETag: an unchanged file costs one query on every start.
    marker = f'"sample-v{LOADER_VERSION}-{hashlib.sha256(body).hexdigest()[:32]}"'
    source = Source.objects.filter(slug=sample.slug).first() or Source.objects.create(
        slug=sample.slug,
        name=sample.name,
        feed_url=f"{settings.SITE_URL}{settings.STATIC_URL}feeds/samples/{sample.file}",
        is_active=False,
        disabled_reason=DISABLED_REASON,
    )
    if source.etag == marker:
        return source, None
    now = timezone.now()
    # Stored hashes forgotten: every post is written again, as an upstream change would be (editors' versions kept).
    Article.objects.filter(source=source).update(content_hash="")

    def finish(parsed: ParsedFeed, stored: StoreResult) -> None:
        changes = {"etag": marker, "last_success_at": now, "last_polled_at": now, "site_url": parsed.site_url}
        Source.objects.filter(pk=source.pk).update(**changes)
        _images_relative(source)

    stored = feed_ingest(
        source=source, body=body, headers={"content-type": sample.content_type}, now=now, finish=finish
    )
    return source, stored


def _images_relative(source: Source) -> None:
    """Image addresses resolved against the feed's address made site-relative ("/static/..."), so the browser
    resolves them against whatever address serves the page, not the SITE_URL the samples were first loaded at."""
    folder = source.feed_url.rsplit("/", 1)[0] + "/"
    static = f"{settings.STATIC_URL}feeds/samples/"
    Article.objects.filter(source=source).update(
        image_url=Replace("image_url", Value(folder), Value(static)),
        body_html=Replace("body_html", Value(folder), Value(static)),
    )
