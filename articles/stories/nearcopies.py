"""Story identity by text: the near-duplicate index (LSH bands in the database) and its confirmation.

Signatures and band keys come from feeds/ingest/identity.py (given by the store); this module keeps them in
StorySignature/StoryBand and finds, for a new post, an earlier post of another source published within WINDOW of
it whose estimated Jaccard similarity reaches THRESHOLD. Precision first: THRESHOLD was calibrated with
bench/stories.py so that different stories on the same topic stay apart.

Cost (bench/stories.py): the band lookup reads the band index alone, with no join, because planning a join with
the posts' table cost more than running the lookup; the few candidates' signatures and sources are read by
primary key in a second query, only when a band is shared.
"""

import struct
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from typing import NamedTuple

from django.db import connection

from articles.models import Article, StoryBand, StorySignature

WINDOW = timedelta(hours=72)
THRESHOLD = 0.5
# Bands shared by very many posts (boilerplate) would make the lookup read them all: it reads at most this many.
MAX_CANDIDATE_ROWS = 300

BAND_TABLE = StoryBand._meta.db_table
SIGNATURE_TABLE = StorySignature._meta.db_table

Signature = tuple[int, ...]
Similarity = Callable[[Signature, Signature], float]


class Stored(NamedTuple):
    """What confirming a stored candidate needs: its source, its publication time and its signature."""

    source_id: int | None
    published_at: datetime
    signature: Signature


def text_matches(
    articles: Sequence[Article],
    *,
    signatures: dict[int, Signature],
    bands: dict[int, list[int]],
    similarity: Similarity,
) -> dict[int, int]:
    """new post id -> the most similar earlier post's id, for the new posts with a confirmed match; then the
    new posts are added to the index. signatures and bands are by new post id."""
    if not articles:
        return {}
    new = [article for article in articles if signatures.get(article.pk)]
    # Every post is indexed, a text too short to compare with an empty signature: mergestories then knows it. The
    # lookup sees only earlier posts: it runs before the insert, or in the same statement (which sees its snapshot).
    keys = {key for article in new for key in bands[article.pk]}
    window = _window(new)
    if connection.vendor == "postgresql":
        rows = _add_and_look_up(articles, signatures, bands, keys, window)
    else:
        rows = _band_rows(keys, window)
        _add(articles, signatures, bands)
    if not new:
        return {}
    candidates, stored = _candidates(new, bands, rows)
    stored |= {article.pk: Stored(article.source_id, article.published_at, signatures[article.pk]) for article in new}
    matches = {}
    for article in new:
        mine = signatures[article.pk]
        scored = [
            (similarity(mine, stored[other].signature), -other)
            for other in candidates[article.pk]
            if other in stored and _comparable(article, stored[other])
        ]
        best = max(scored, default=(0.0, 0))
        if best[0] >= THRESHOLD:
            matches[article.pk] = -best[1]
    return matches


def _comparable(article: Article, other: Stored) -> bool:
    """Published within WINDOW of each other, by different sources: one source's own posts that share most words
    (a daily market report, a weather page) are different stories, and its real copies share one URL (the URL
    rule's job)."""
    return other.source_id != article.source_id and abs(other.published_at - article.published_at) <= WINDOW


def _window(new: list[Article]) -> tuple[datetime, datetime] | None:
    """The publication times a candidate of any of these posts may have (None without posts)."""
    if not new:
        return None
    return min(a.published_at for a in new) - WINDOW, max(a.published_at for a in new) + WINDOW


def _candidates(
    new: list[Article], bands: dict[int, list[int]], rows: list[tuple[int, int]]
) -> tuple[dict[int, set[int]], dict[int, Stored]]:
    """new post id -> ids of earlier posts (stored before, or earlier in this batch) sharing one of its bands; and
    the stored candidates' source, publication time and signature. rows: (band, post id) of stored posts."""
    by_band: dict[int, list[int]] = {}
    for band, article_id in rows:
        by_band.setdefault(band, []).append(article_id)
    for article in new:
        for key in bands[article.pk]:
            by_band.setdefault(key, []).append(article.pk)
    batch = {article.pk for article in new}
    found = {
        article.pk: {
            other
            for key in bands[article.pk]
            for other in by_band.get(key, ())
            if other < article.pk or other not in batch
        }
        for article in new
    }
    return found, _stored(set().union(*found.values()) - batch)


def _band_rows(keys: set[int], window: tuple[datetime, datetime] | None) -> list[tuple[int, int]]:
    """(band, post id) of the stored posts sharing one of these bands and published within the window."""
    if not keys or window is None:
        return []
    adapt = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        cursor.execute(_BAND_LOOKUP.format(keys=_integers(keys)), [adapt(when) for when in window])
        return cursor.fetchall()


_BAND_LOOKUP = (
    f"SELECT band, article_id FROM {BAND_TABLE} WHERE band IN ({{keys}}) "  # noqa: S608 - see _integers
    f"AND published_at BETWEEN %s AND %s LIMIT {MAX_CANDIDATE_ROWS}"
)


def _add_and_look_up(
    new: Sequence[Article],
    signatures: dict[int, Signature],
    bands: dict[int, list[int]],
    keys: set[int],
    window: tuple[datetime, datetime] | None,
) -> list[tuple[int, int]]:
    """PostgreSQL: _add and _band_rows in one statement (one round trip instead of three, a third of the identity
    check's time on a busy database). Its SELECT sees the snapshot taken before its INSERTs: earlier posts only."""
    band_rows = ", ".join(f"({_integers((a.pk, key))})" for a in new for key in bands[a.pk])
    # A post whose signature was indexed before (ON CONFLICT) is not returned, and its bands are not added again.
    insert_bands = (
        f", bands AS (INSERT INTO {BAND_TABLE} (article_id, band, published_at) "  # noqa: S608 - see _integers
        f"SELECT v.column1, v.column2, s.published_at FROM (VALUES {band_rows}) AS v "
        "JOIN signatures AS s ON s.article_id = v.column1)"
        if band_rows
        else ""
    )
    look_up = bool(keys and window)
    lookup = _BAND_LOOKUP.format(keys=_integers(keys)) if look_up else "SELECT NULL, NULL WHERE FALSE"
    signature_rows = ", ".join(["(%s, %s, %s, %s)"] * len(new))
    sql = (
        f"WITH signatures AS (INSERT INTO {SIGNATURE_TABLE} (article_id, source_id, published_at, signature) "  # noqa: S608
        f"VALUES {signature_rows} ON CONFLICT DO NOTHING RETURNING article_id, published_at){insert_bands} {lookup}"
    )
    params = [v for a in new for v in (a.pk, a.source_id, a.published_at, pack_signature(signatures[a.pk]))]
    with connection.cursor() as cursor:
        cursor.execute(sql, params + (list(window) if look_up else []))
        return cursor.fetchall()


def _integers(values: Iterable[int]) -> str:
    """Integers written into the SQL: only ever ids and band keys this code computed, each forced through int().

    A post's 32 band keys as 32 bound parameters cost the driver more time to bind than the database to run.
    """
    return ", ".join(str(int(value)) for value in values)


def _stored(ids: set[int]) -> dict[int, Stored]:
    """post id -> its source id, publication time and signature, by primary key; no query when no band was shared."""
    if not ids:
        return {}
    rows = StorySignature.objects.filter(article_id__in=ids)
    rows = rows.values_list("article_id", "source_id", "published_at", "signature")
    return {
        pk: Stored(source, published, unpack_signature(signature or b"")) for pk, source, published, signature in rows
    }


def _add(new: Sequence[Article], signatures: dict[int, Signature], bands: dict[int, list[int]]) -> None:
    """Index the new posts: their signatures, then their band keys (which take each post's publication time from
    its signature row). Plain SQL, because building a model instance for each of a post's 32 bands cost more than
    the database's work."""
    if not new:
        return
    adapt = connection.ops.adapt_datetimefield_value
    signature_rows = ", ".join(["(%s, %s, %s, %s)"] * len(new))
    band_rows = [f"({_integers((article.pk, key))})" for article in new for key in bands[article.pk]]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {SIGNATURE_TABLE} (article_id, source_id, published_at, signature) "  # noqa: S608 - names
            f"VALUES {signature_rows} ON CONFLICT DO NOTHING",
            [
                value
                for a in new
                for value in (a.pk, a.source_id, adapt(a.published_at), pack_signature(signatures[a.pk]))
            ],
        )
        for start in range(0, len(band_rows), INSERT_ROWS):
            values = ", ".join(band_rows[start : start + INSERT_ROWS])
            cursor.execute(
                f"INSERT INTO {BAND_TABLE} (article_id, band, published_at) "  # noqa: S608 - see _integers
                f"SELECT v.column1, v.column2, s.published_at FROM (VALUES {values}) AS v "
                f"JOIN {SIGNATURE_TABLE} AS s ON s.article_id = v.column1"
            )


INSERT_ROWS = 2000


def pack_signature(signature: Signature) -> bytes:
    return struct.pack(f">{len(signature)}Q", *signature)


def unpack_signature(data: bytes) -> Signature:
    return struct.unpack(f">{len(data) // 8}Q", bytes(data))
