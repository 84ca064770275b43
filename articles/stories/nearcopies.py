"""Story identity by text: the near-duplicate index (LSH bands in the database) and its confirmation.

Signatures and band keys come from feeds/ingest/identity.py (given by the store); this module keeps them in
StorySignature/StoryBand and finds, for a new post, an earlier post of another source published within WINDOW of
it whose estimated Jaccard similarity reaches THRESHOLD. Precision first: THRESHOLD was calibrated with
bench/stories.py so that different stories on the same topic stay apart.

Cost (bench/stories.py): a batch's signatures are computed first (text_check, no query); then, on PostgreSQL, one
statement inserts them with their bands and reads the earlier posts sharing a band with the candidates' signatures
(index_statement), sent in the story step's one round trip (lookup.py). The lookup never joins the posts' table.
"""

import struct
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
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


class TextRule(NamedTuple):
    """The near-duplicate rule's pure parts (feeds/ingest/identity.py): a text's signature, its band keys, and the
    estimated similarity of two signatures."""

    signature: Callable[[str, str], Signature]
    bands: Callable[[Signature], list[int]]
    similarity: Similarity


class Stored(NamedTuple):
    """What confirming a stored candidate needs: its source, its publication time and its signature."""

    source_id: int | None
    published_at: datetime
    signature: Signature


@dataclass
class TextCheck:
    """One batch of new, stored posts under the text rule: their signatures and band keys by post id (a text too
    short to compare has an empty signature and no bands), and how two signatures compare."""

    articles: list[Article]
    signatures: dict[int, Signature]
    bands: dict[int, list[int]]
    similarity: Similarity

    @property
    def comparable(self) -> list[Article]:
        return [article for article in self.articles if self.signatures[article.pk]]

    @property
    def keys(self) -> set[int]:
        return {key for keys in self.bands.values() for key in keys}


def text_check(articles: Sequence[Article], rule: TextRule) -> TextCheck:
    """The batch's signatures and band keys: CPU only, no query."""
    signatures = {article.pk: rule.signature(article.title, article.body_html) for article in articles}
    bands = {pk: rule.bands(signature) for pk, signature in signatures.items()}
    return TextCheck(list(articles), signatures, bands, rule.similarity)


def text_index(check: TextCheck) -> list[tuple]:
    """Add the batch to the index; the rows of earlier posts sharing one of its bands (_BAND_LOOKUP's columns). The
    lookup sees only earlier posts: it runs before the insert, or in the same statement (which sees its snapshot)."""
    if not check.articles:
        return []
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(index_statement(check)[0])
            return cursor.fetchall()
    rows = _band_rows(check.keys, _window(check.comparable))
    _add(check.articles, check.signatures, check.bands)
    return rows


def stories_index(*, articles: Sequence[Article], by_text: TextRule) -> None:
    """Add stored posts to the text index without joining them to stories (mergestories: posts an editor placed)."""
    text_index(text_check(articles, by_text))


def text_matches(check: TextCheck, rows: list[tuple], *, undecided: set[int]) -> dict[int, int]:
    """new post id -> the most similar earlier post's id, for the undecided new posts with a confirmed match.
    rows: text_index's (or index_statement's) for this batch."""
    new = {article.pk: article for article in check.comparable}
    candidates, stored = _candidates(list(new), check.bands, rows)
    in_batch = set().union(*candidates.values()) & new.keys()
    stored |= {pk: Stored(new[pk].source_id, new[pk].published_at, check.signatures[pk]) for pk in in_batch}
    matches = {}
    for pk, others in candidates.items():
        if pk not in undecided:
            continue
        article, mine = new[pk], check.signatures[pk]
        scored = [
            (check.similarity(mine, stored[other].signature), -other)
            for other in others
            if other in stored and _comparable(article, stored[other])
        ]
        best = max(scored, default=(0.0, 0))
        if best[0] >= THRESHOLD:
            matches[pk] = -best[1]
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
    new: list[int], bands: dict[int, list[int]], rows: list[tuple]
) -> tuple[dict[int, set[int]], dict[int, Stored]]:
    """new post id -> ids of earlier posts (stored before, or earlier in this batch) sharing one of its bands, for
    the new posts that have any; and the stored candidates' source, publication time and signature. new: ids of the
    batch's posts with a signature; rows: _BAND_LOOKUP's, for stored posts."""
    by_band: dict[int, list[int]] = {}
    stored = {}
    for band, article_id, source_id, published_at, signature in rows:
        by_band.setdefault(band, []).append(article_id)
        if article_id not in stored:
            stored[article_id] = Stored(source_id, _aware(published_at), unpack_signature(signature or b""))
    for pk in new:
        for key in bands[pk]:
            by_band.setdefault(key, []).append(pk)
    batch, found = set(new), {}
    for pk in new:
        # Each band lists the post itself: only a band with more posts holds a candidate.
        shared = [by_band[key] for key in bands[pk] if len(by_band[key]) > 1]
        others = {other for posts in shared for other in posts if other < pk or other not in batch}
        if others:
            found[pk] = others
    return found, stored


def _aware(value: datetime | str) -> datetime:
    """A raw row's timestamp: PostgreSQL's is an aware datetime, SQLite's text or a naive datetime in UTC."""
    value = datetime.fromisoformat(value) if isinstance(value, str) else value
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _band_rows(keys: set[int], window: tuple[datetime, datetime] | None) -> list[tuple]:
    """(band, post id, its source id, publication time, signature) of the stored posts sharing one of these bands
    and published within the window."""
    if not keys or window is None:
        return []
    adapt = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        cursor.execute(_BAND_LOOKUP.format(keys=_integers(keys)), [adapt(when) for when in window])
        return cursor.fetchall()


# The candidates' signatures come with their band rows, joined by primary key: no second round trip.
_BAND_LOOKUP = (
    f"SELECT b.band, b.article_id, s.source_id, s.published_at, s.signature FROM {BAND_TABLE} AS b "  # noqa: S608
    f"JOIN {SIGNATURE_TABLE} AS s ON s.article_id = b.article_id WHERE b.band IN ({{keys}}) "
    f"AND b.published_at BETWEEN %s AND %s LIMIT {MAX_CANDIDATE_ROWS}"
)


def index_statement(check: TextCheck) -> tuple[str, list]:
    """PostgreSQL: _add and _band_rows as one statement, (sql, params) (one round trip instead of three, a third of
    the identity check's time on a busy database). Its SELECT sees the snapshot taken before its INSERTs: earlier
    posts only. The story step sends it in the same round trip as its lock and URL key lookup.

    Its values travel as array literals that unnest() opens, written here (_integers, _timestamps, the signatures in
    hex), not bound: a poll's 800 keys written as VALUES rows and an IN list cost the planner more than the
    database's work, and the driver's quoting of a poll's 200 signature values cost 3 ms of CPU (bench/stories.py,
    ingest's drop)."""
    new, signatures, bands = check.articles, check.signatures, check.bands
    keys, window = check.keys, _window(check.comparable)
    owners = [pk for pk, keys in bands.items() for _key in keys]
    # A post whose signature was indexed before (ON CONFLICT) is not returned, and its bands are not added again.
    insert_bands = (
        f", bands AS (INSERT INTO {BAND_TABLE} (article_id, band, published_at) "  # noqa: S608 - see _integers
        f"SELECT v.article_id, v.band, s.published_at FROM unnest('{{{_integers(owners)}}}'::bigint[], "
        f"'{{{_integers(key for keys in bands.values() for key in keys)}}}'::bigint[]) AS v(article_id, band) "
        "JOIN signatures AS s ON s.article_id = v.article_id)"
        if owners
        else ""
    )
    lookup = (
        _BAND_LOOKUP_PG.format(keys=_integers(keys), start=window[0].isoformat(), end=window[1].isoformat())
        if keys and window
        else "SELECT NULL, NULL, NULL, NULL, NULL WHERE FALSE"
    )
    sources = ", ".join("NULL" if a.source_id is None else str(int(a.source_id)) for a in new)
    hexes = ", ".join(f'"{pack_signature(signatures[a.pk]).hex()}"' for a in new)
    sql = (
        f"WITH signatures AS (INSERT INTO {SIGNATURE_TABLE} (article_id, source_id, published_at, signature) "  # noqa: S608
        f"SELECT v.article_id, v.source_id, v.published_at, decode(v.signature, 'hex') FROM unnest("
        f"'{{{_integers(a.pk for a in new)}}}'::bigint[], '{{{sources}}}'::bigint[], "
        f"'{{{_timestamps(a.published_at for a in new)}}}'::timestamptz[], '{{{hexes}}}'::text[]) "
        "AS v(article_id, source_id, published_at, signature) "
        f"ON CONFLICT DO NOTHING RETURNING article_id, published_at){insert_bands} {lookup}"
    )
    return sql, []


def _timestamps(values: Iterable[datetime]) -> str:
    """Datetimes written into the SQL, as an array literal's elements: their ISO form has digits, signs, colons, dots,
    spaces and a T only (datetime.isoformat() writes nothing else)."""
    return ", ".join(f'"{value.isoformat()}"' for value in values)


# Each key is looked up on its own (a LATERAL subquery, which OFFSET 0 keeps from being flattened into a join): an
# index probe of story_band_idx a key, whatever the statistics say. Planned as a join, the lookup followed the
# statistics of the last ANALYZE: when they were older than the table's growth (a busy day, autovacuum behind), it
# read every band row in the window and fetched each one's signature, 40 ms a poll (bench/stories.py, ingest's
# drop). The signatures come the same way: a probe of their primary key for each band row found, never a join,
# whose planning reads the actual ends of both tables' id indexes (after posts are deleted, and before autovacuum
# has passed, walking their dead entries: 3 ms a lookup instead of 0.2).
_BAND_LOOKUP_PG = (
    f"SELECT k.band, b.article_id, s.source_id, s.published_at, s.signature "  # noqa: S608 - see _integers
    f"FROM unnest('{{{{{{keys}}}}}}'::bigint[]) AS k(band) "
    f"CROSS JOIN LATERAL (SELECT article_id FROM {BAND_TABLE} WHERE band = k.band "
    "AND published_at BETWEEN '{start}'::timestamptz AND '{end}'::timestamptz OFFSET 0) AS b "
    f"CROSS JOIN LATERAL (SELECT source_id, published_at, signature FROM {SIGNATURE_TABLE} "
    "WHERE article_id = b.article_id OFFSET 0) AS s "
    f"LIMIT {MAX_CANDIDATE_ROWS}"
)


def _integers(values: Iterable[int]) -> str:
    """Integers written into the SQL: only ever ids and band keys this code computed, each forced through int().

    A post's 16 band keys as 16 bound parameters cost the driver more time to bind than the database to run.
    """
    return ", ".join(map(str, map(int, values)))


def _add(new: Sequence[Article], signatures: dict[int, Signature], bands: dict[int, list[int]]) -> None:
    """Index the new posts: their signatures, then their band keys (which take each post's publication time from
    its signature row). Plain SQL, because building a model instance for each of a post's 16 bands cost more than
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
