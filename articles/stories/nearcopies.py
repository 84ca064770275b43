"""Story identity by text: the near-duplicate index (LSH bands in the database) and its confirmation.

Signatures and band keys come from feeds/ingest/identity.py (given by the store); this module keeps them in
StorySignature/StoryBand and finds, for a new post, an earlier post published within WINDOW of it whose
estimated Jaccard similarity reaches THRESHOLD. Precision first: THRESHOLD was calibrated with bench/stories.py
so that different stories on the same topic stay apart.
"""

import struct
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from articles.models import Article, StoryBand, StorySignature

WINDOW = timedelta(hours=72)
THRESHOLD = 0.5
# Bands shared by very many posts (boilerplate) would make the lookup read them all: it reads at most this many.
MAX_CANDIDATE_ROWS = 300

Signature = tuple[int, ...]
Similarity = Callable[[Signature, Signature], float]


def text_matches(
    articles: Sequence[Article],
    *,
    signatures: dict[int, Signature],
    bands: dict[int, list[int]],
    similarity: Similarity,
) -> dict[int, int]:
    """new post id -> the most similar earlier post's id, for the new posts with a confirmed match; then the
    new posts are added to the index. signatures and bands are by new post id."""
    new = [article for article in articles if signatures.get(article.pk)]
    # Every post is indexed, a text too short to compare with an empty signature: mergestories then knows it.
    _add(articles, signatures, bands)
    if not new:
        return {}
    candidates, stored = _candidates(new, bands)
    stored |= {article.pk: signatures[article.pk] for article in new}
    matches = {}
    for article in new:
        mine = signatures[article.pk]
        scored = [(similarity(mine, stored[other]), -other) for other in candidates[article.pk] if other in stored]
        best = max(scored, default=(0.0, 0))
        if best[0] >= THRESHOLD:
            matches[article.pk] = -best[1]
    return matches


def _candidates(new: list[Article], bands: dict[int, list[int]]) -> tuple[dict[int, set[int]], dict[int, Signature]]:
    """new post id -> ids of earlier posts (stored before, or earlier in this batch) sharing one of its bands and
    published within WINDOW of it; and the stored candidates' signatures (read in the same query)."""
    earliest = min(article.published_at for article in new) - WINDOW
    latest = max(article.published_at for article in new) + WINDOW
    keys = {key for article_bands in bands.values() for key in article_bands}
    rows = (
        StoryBand.objects.filter(band__in=keys, published_at__range=(earliest, latest))
        .order_by()
        .values_list("band", "article_id", "published_at", "article__source_id", "article__story_signature__signature")
    )[:MAX_CANDIDATE_ROWS]
    by_band: dict[int, list[tuple[int, datetime, int]]] = {}
    stored = {}
    for band, article_id, published_at, source_id, signature in rows:
        by_band.setdefault(band, []).append((article_id, published_at, source_id))
        stored[article_id] = unpack_signature(signature or b"")
    for article in new:
        for key in bands[article.pk]:
            by_band.setdefault(key, []).append((article.pk, article.published_at, article.source_id))
    batch = {article.pk for article in new}
    found = {}
    for article in new:
        # Text matches across sources only: one source's own posts that share most words (a daily market report,
        # a weather page) are different stories, and its real copies share one URL (the URL rule's job).
        found[article.pk] = {
            other
            for key in bands[article.pk]
            for other, published_at, source_id in by_band.get(key, ())
            if source_id != article.source_id
            and abs(published_at - article.published_at) <= WINDOW
            and (other < article.pk or other not in batch)
        }
    return found, stored


def _add(new: Sequence[Article], signatures: dict[int, Signature], bands: dict[int, list[int]]) -> None:
    StorySignature.objects.bulk_create(
        [
            StorySignature(article_id=a.pk, published_at=a.published_at, signature=pack_signature(signatures[a.pk]))
            for a in new
        ],
        ignore_conflicts=True,
    )
    StoryBand.objects.bulk_create(
        [StoryBand(article_id=a.pk, band=key, published_at=a.published_at) for a in new for key in bands[a.pk]]
    )


def pack_signature(signature: Signature) -> bytes:
    return struct.pack(f">{len(signature)}Q", *signature)


def unpack_signature(data: bytes) -> Signature:
    return struct.unpack(f">{len(data) // 8}Q", bytes(data))
