"""Which old posts may go, and removing them in batches: featured and still-popular posts always stay."""

from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet, Sum
from django.utils import timezone

from articles.models import Article, ArticleDailyViews, PurgedPost

POPULAR_WINDOW_DAYS = 30
# A post read at least this often in the window still earns its place, whatever its age.
POPULAR_MIN_VIEWS = 10
BATCH_SIZE = 500


def popular_article_ids(*, min_views: int = POPULAR_MIN_VIEWS) -> QuerySet:
    """Ids of posts with at least min_views views in the last 30 days, plus the top POPULAR_COUNT of that window."""
    since = timezone.localdate() - timedelta(days=POPULAR_WINDOW_DAYS - 1)
    totals = ArticleDailyViews.objects.filter(date__gte=since).values("article").annotate(total=Sum("views"))
    top = totals.order_by("-total", "article")[: settings.POPULAR_COUNT].values("article")
    well_read = totals.filter(total__gte=min_views).values("article")
    # No Meta.ordering inside the union: SQLite refuses ORDER BY in the parts of a compound statement.
    well_read_ids = Article.objects.filter(id__in=well_read).order_by().values("id")
    return well_read_ids.union(Article.objects.filter(id__in=top).order_by().values("id"))


def purge_candidates(*, older_than_days: int, min_views: int = POPULAR_MIN_VIEWS) -> QuerySet:
    """Posts published more than older_than_days ago that are neither featured nor still popular."""
    cutoff = timezone.now() - timedelta(days=older_than_days)
    popular = list(popular_article_ids(min_views=min_views).values_list("id", flat=True))
    return Article.objects.filter(published_at__lt=cutoff, is_featured=False).exclude(id__in=popular)


def article_purge(*, ids: list[int], on_batch: Callable[[int], None] | None = None) -> int:
    """Delete these posts (their comments and view rows go with them) in batches; returns how many went.

    Each post leaves its (source, guid) behind, so an entry still in the upstream feed is not stored again.
    """
    deleted = 0
    for start in range(0, len(ids), BATCH_SIZE):
        batch = Article.objects.filter(id__in=ids[start : start + BATCH_SIZE])
        with transaction.atomic():
            leaving = batch.values_list("source", "guid")
            PurgedPost.objects.bulk_create(
                [PurgedPost(source_id=source_id, guid=guid) for source_id, guid in leaving], ignore_conflicts=True
            )
            _, per_model = batch.delete()
        deleted += per_model.get(Article._meta.label, 0)
        if on_batch:
            on_batch(deleted)
    return deleted
