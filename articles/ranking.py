"""Reads for the popular-posts widget and the trending page: one indexed query each, cached for 60 s."""

import logging
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import TypeVar

import redis
from django.core.cache import cache
from django.db.models import Case, F, FloatField, Q, QuerySet, Sum, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from articles.models import Article

logger = logging.getLogger(__name__)

WINDOW_DAYS = {"7d": 7, "30d": 30, "all": None}
CACHE_SECONDS = 60
TRENDING_HALF_LIFE = timedelta(days=1)
# Views older than this weigh less than 1/64 of today's in the trending score; they are left out.
TRENDING_DAYS = 7

T = TypeVar("T")


def cached(key: str, compute: Callable[[], T], seconds: int = CACHE_SECONDS) -> T:
    """compute() cached under key; computed afresh, uncached, when the cache (Redis) is down."""
    try:
        value = cache.get(key)
    except redis.RedisError as error:
        logger.warning("Cache unreachable, computing %s uncached: %s", key, error)
        return compute()
    if value is None:
        value = compute()
        try:
            cache.set(key, value, seconds)
        except redis.RedisError as error:
            logger.warning("Cache unreachable, not storing %s: %s", key, error)
    return value


def window_start(window: str, today: date | None = None) -> date | None:
    """The first day of a window ("7d" is today and the six days before it); None for all time."""
    if window not in WINDOW_DAYS:
        raise ValueError(f"Unknown popularity window {window!r}; use one of {', '.join(WINDOW_DAYS)}.")
    days = WINDOW_DAYS[window]
    if days is None:
        return None
    return (today or timezone.localdate()) - timedelta(days=days - 1)


def ranked(window: str) -> QuerySet:
    """Published posts with views in the window, most viewed first, ties to the newer post; window_views set."""
    start = window_start(window)
    posts = Article.objects.published().defer("body_html")
    if start is None:
        posts = posts.filter(total_views__gt=0).annotate(window_views=F("total_views"))
    else:
        posts = posts.filter(daily_views__date__gte=start).annotate(window_views=Sum("daily_views__views"))
    return posts.order_by("-window_views", "-published_at", "-id")


def popular(window: str = "7d", n: int = 5) -> list[Article]:
    """The n most-viewed published posts over the last 7 days, 30 days or all time ("7d", "30d", "all")."""
    window_start(window)
    return cached(f"popular:{window}:{n}", lambda: list(ranked(window)[:n]))


def popular_or_newest(window: str, n: int) -> tuple[list[Article], bool]:
    """The widget's posts in one query: the popular ones, or on a site with no views yet the newest (False)."""
    start = window_start(window)
    newest = Article.objects.published().order_by("-published_at", "-id")
    if start is None:
        views = F("total_views")
    else:
        views = Coalesce(Sum("daily_views__views", filter=Q(daily_views__date__gte=start)), 0)
    candidates = list(
        Article.objects.published()
        .defer("body_html")
        .filter(Q(pk__in=ranked(window).values("pk")[:n]) | Q(pk__in=newest.values("pk")[:n]))
        .annotate(window_views=views)
    )
    popular_posts = sorted(
        (post for post in candidates if post.window_views > 0),
        key=lambda post: (-post.window_views, -post.published_at.timestamp(), -post.pk),
    )
    if popular_posts:
        return popular_posts[:n], True
    return sorted(candidates, key=lambda post: (-post.published_at.timestamp(), -post.pk))[:n], False


def trending_weights(now: datetime) -> dict[date, float]:
    """Each recent day's weight: 1/2 per half-life of age, measured from the middle of its views."""
    today = timezone.localdate(now)
    weights = {}
    for age in range(TRENDING_DAYS):
        day = today - timedelta(days=age)
        start = timezone.make_aware(datetime.combine(day, time.min))
        end = min(now, start + timedelta(days=1))
        middle = start + (end - start) / 2
        weights[day] = 0.5 ** ((now - middle) / TRENDING_HALF_LIFE)
    return weights


def trending_queryset(now: datetime) -> QuerySet:
    """Published posts viewed in the last days, by views decayed with a half-life of about a day."""
    weights = trending_weights(now)
    weight = Case(
        *(When(daily_views__date=day, then=Value(w)) for day, w in weights.items()),
        default=Value(0.0),
        output_field=FloatField(),
    )
    return (
        Article.objects.published()
        .with_source()
        .defer("body_html")
        .filter(daily_views__date__gte=min(weights))
        .annotate(trend_score=Sum(F("daily_views__views") * weight, output_field=FloatField()))
        .order_by("-trend_score", "-published_at", "-id")
    )


def trending(n: int = 10) -> list[Article]:
    """The n posts that are hot right now (decayed views, half-life about a day); trend_score set on each."""
    return cached(f"trending:{n}", lambda: list(trending_queryset(timezone.now())[:n]))
