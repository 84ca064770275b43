"""Move view counts from Redis into ArticleDailyViews and Article.total_views, exactly once.

A flush takes the pending counts atomically into an in-flight batch (counter.take), writes them in
one transaction that also records the batch's flush id (ViewFlush), and only after the commit deletes
the batch from Redis. A flush stopped anywhere leaves the batch in flight; the next flush finishes it,
and the ViewFlush row tells it whether the counts were already committed, so none is lost or doubled.
"""

import logging
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone

from articles.models import Article, ArticleDailyViews, ViewFlush
from articles.pagecache import page_cache_invalidate
from articles.popularity import counter
from articles.popularity.ranking import top_post_ids

logger = logging.getLogger(__name__)

Batch = dict[tuple[int, date], tuple[int, int]]
CHUNK_ROWS = 500
# Far longer than a batch can stay in flight: every flush first finishes the batches left over.
FLUSH_LOG_DAYS = 7
# The popular-posts widget's ranking as of the last flush that changed it.
WIDGET_RANKING_KEY = "popular:widget-ranking"


@dataclass(frozen=True)
class FlushResult:
    """What one flush did: batches committed, views and daily rows written, batches found already committed."""

    batches: int = 0
    views: int = 0
    rows: int = 0
    already_applied: int = 0
    embedded: bool = False

    def __add__(self, other: "FlushResult") -> "FlushResult":
        return FlushResult(
            batches=self.batches + other.batches,
            views=self.views + other.views,
            rows=self.rows + other.rows,
            already_applied=self.already_applied + other.already_applied,
            embedded=self.embedded,
        )


def flush_views() -> FlushResult:
    """Finish batches a stopped flush left in flight, then move the pending counts into the database."""
    if not settings.REDIS_URL:
        return FlushResult(embedded=True)
    result = FlushResult()
    for flush_id in counter.inflight_ids():
        result += flush_batch(flush_id=flush_id)
    flush_id = counter.take()
    if flush_id is not None:
        result += flush_batch(flush_id=flush_id)
    if result.batches:
        refresh_pages_if_the_ranking_changed()
    ViewFlush.objects.filter(applied_at__lt=timezone.now() - timedelta(days=FLUSH_LOG_DAYS)).delete()
    counter.counter_client().set(counter.LAST_FLUSH_KEY, timezone.now().isoformat())
    return result


def refresh_pages_if_the_ranking_changed() -> bool:
    """Start a new page-cache generation when the widget's top posts changed; True if they did.

    Every page shows the widget and is cached for PAGE_CACHE_SECONDS, far longer than the flush interval; a
    flush that leaves the top posts as they were keeps every cached page.
    """
    ranking = top_post_ids(settings.POPULAR_WINDOW, settings.POPULAR_COUNT)
    if cache.get(WIDGET_RANKING_KEY) == ranking:
        return False
    cache.set(WIDGET_RANKING_KEY, ranking, None)
    page_cache_invalidate()
    return True


def flush_batch(*, flush_id: str) -> FlushResult:
    """Commit one in-flight batch (unless a stopped flush already did) and then release it in Redis."""
    batch = counter.read_batch(flush_id)
    result = apply_batch(flush_id=flush_id, batch=batch)
    counter.release(flush_id)
    return result


def apply_batch(*, flush_id: str, batch: Batch) -> FlushResult:
    """Write one batch's counts in one transaction, recording its flush id so it is never applied twice."""
    with transaction.atomic():
        rows = _live_rows(batch)
        totals = Counter()
        for (article_id, _day), (views, _unique) in rows:
            totals[article_id] += views
        # A second flush finishing the same batch waits here on the unique flush id, then finds it taken.
        _log, created = ViewFlush.objects.get_or_create(
            flush_id=flush_id, defaults={"views": sum(totals.values()), "rows": len(rows)}
        )
        if not created:
            logger.info("View batch %s was already committed; releasing it", flush_id)
            return FlushResult(already_applied=1)
        for start in range(0, len(rows), CHUNK_ROWS):
            _upsert_daily(rows[start : start + CHUNK_ROWS])
        totals_list = list(totals.items())
        for start in range(0, len(totals_list), CHUNK_ROWS):
            _add_totals(totals_list[start : start + CHUNK_ROWS])
    return FlushResult(batches=1, views=sum(totals.values()), rows=len(rows))


def _live_rows(batch: Batch) -> list:
    """The batch's rows for posts that still exist; views of deleted posts are dropped (and logged)."""
    ids = {article_id for article_id, _day in batch}
    live = set(Article.objects.filter(pk__in=ids).values_list("pk", flat=True))
    if len(live) < len(ids):
        logger.info("Dropping views of %d deleted posts", len(ids - live))
    return sorted(item for item in batch.items() if item[0][0] in live)


def _sql_functions() -> tuple[str, str]:
    """The two-argument max and min of the database in use."""
    return ("MAX", "MIN") if connection.vendor == "sqlite" else ("GREATEST", "LEAST")


def _values(rows: list[tuple], width: int) -> str:
    row = "(" + ", ".join(["%s"] * width) + ")"
    return ", ".join([row] * len(rows))


def _upsert_daily(rows: list) -> None:
    """Add views to the daily rows (creating missing ones); unique visitors is the day's HyperLogLog count."""
    table = connection.ops.quote_name(ArticleDailyViews._meta.db_table)
    greatest, least = _sql_functions()
    keys = [(article_id, day) for (article_id, day), _counts in rows]
    values = [(article_id, day, views, unique) for (article_id, day), (views, unique) in rows]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (article_id, date, views, unique_visitors) "  # noqa: S608
            f"VALUES {_values(keys, 4)} ON CONFLICT (article_id, date) DO NOTHING",
            [param for article_id, day in keys for param in (article_id, day, 0, 0)],
        )
        # Unique visitors never shrink (a lost HyperLogLog) and never exceed views (its estimate error).
        cursor.execute(
            f"UPDATE {table} SET views = {table}.views + v.column3, "  # noqa: S608
            f"unique_visitors = {least}({greatest}({table}.unique_visitors, v.column4), {table}.views + v.column3) "
            f"FROM (VALUES {_values(values, 4)}) AS v "
            f"WHERE {table}.article_id = v.column1 AND {table}.date = v.column2",
            [param for row in values for param in row],
        )


def _add_totals(totals: list[tuple[int, int]]) -> None:
    table = connection.ops.quote_name(Article._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET total_views = {table}.total_views + v.column2 "  # noqa: S608
            f"FROM (VALUES {_values(totals, 2)}) AS v WHERE {table}.id = v.column1",
            [param for row in totals for param in row],
        )
