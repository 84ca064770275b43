"""View counting without Redis (the embedded default): dedupe through the local cache, write the rows with F()."""

from datetime import date

from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import F

from articles.models import Article, ArticleDailyViews
from articles.popularity import counter
from operations.counters import window_count


def record_embedded(*, article_id: int, visitor: str, address: str, day: date) -> bool:
    """Without Redis: dedupe and cap through the cache and add to the daily row and the total with F()."""
    if not cache.add(f"views:seen:{article_id}:{visitor}", 1, counter.DEDUPE_SECONDS):
        return False
    address_views = window_count(f"views:addr:{article_id}:{address}", counter.DEDUPE_SECONDS)
    if address_views > counter.VIEWS_PER_ADDRESS:
        return False
    first_today = cache.add(f"views:uv:{day.isoformat()}:{article_id}:{visitor}", 1, 2 * 24 * 3600)
    changes = {"views": F("views") + 1, "unique_visitors": F("unique_visitors") + int(first_today)}
    with transaction.atomic():
        rows = ArticleDailyViews.objects.filter(article_id=article_id, date=day)
        if not rows.update(**changes):
            try:
                with transaction.atomic():
                    ArticleDailyViews.objects.create(
                        article_id=article_id, date=day, views=1, unique_visitors=int(first_today)
                    )
            except IntegrityError:
                rows.update(**changes)
        Article.objects.filter(pk=article_id).update(total_views=F("total_views") + 1)
    return True
