"""Reads for the popular-posts widget and the trending page: one indexed query each, cached for 60 s."""

from datetime import date, datetime, time, timedelta

from django.db.models import Case, F, FloatField, OuterRef, QuerySet, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from articles.caching import cached
from articles.models import Article, ArticleDailyViews

WINDOW_DAYS = {"7d": 7, "30d": 30, "all": None}
CACHE_SECONDS = 60
TRENDING_HALF_LIFE = timedelta(days=1)
# Views older than this weigh less than 1/64 of today's in the trending score; they are left out.
TRENDING_DAYS = 7


def window_start(window: str, today: date | None = None) -> date | None:
    """The first day of a window ("7d" is today and the six days before it); None for all time."""
    if window not in WINDOW_DAYS:
        raise ValueError(f"Unknown popularity window {window!r}; use one of {', '.join(WINDOW_DAYS)}.")
    days = WINDOW_DAYS[window]
    if days is None:
        return None
    return (today or timezone.localdate()) - timedelta(days=days - 1)


def top_ids(window: str, n: int) -> QuerySet:
    """Subquery: ids of the n most-viewed published posts in the window, summed over the narrow daily rows."""
    start = window_start(window)
    if start is None:
        posts = Article.objects.published().filter(total_views__gt=0)
        return posts.order_by("-total_views", "-published_at", "-id").values("pk")[:n]
    return (
        ArticleDailyViews.objects.filter(date__gte=start, article__status=Article.Status.PUBLISHED)
        .values("article")
        .annotate(views=Sum("views"))
        .order_by("-views", "-article__published_at", "-article")
        .values("article")[:n]
    )


def top_post_ids(window: str, n: int) -> list[int]:
    """The ids of the n most-viewed published posts in the window, most viewed first (one query, uncached)."""
    return [next(iter(row.values())) for row in top_ids(window, n)]


def window_views(window: str) -> F | Coalesce:
    """Expression: a post's views in the window."""
    start = window_start(window)
    if start is None:
        return F("total_views")
    in_window = ArticleDailyViews.objects.filter(article=OuterRef("pk"), date__gte=start)
    return Coalesce(Subquery(in_window.values("article").annotate(views=Sum("views")).values("views")), 0)


def by_views(posts: list[Article]) -> list[Article]:
    return sorted(posts, key=lambda post: (-post.window_views, -post.published_at.timestamp(), -post.pk))


def posts_with_views(ids: QuerySet, window: str) -> QuerySet:
    """The posts whose ids the subquery gives, each with window_views set (unordered)."""
    return Article.objects.defer("body_html").filter(pk__in=ids).annotate(window_views=window_views(window)).order_by()


def popular(window: str = "7d", n: int = 5) -> list[Article]:
    """The n most-viewed published posts over the last 7 days, 30 days or all time ("7d", "30d", "all")."""
    window_start(window)
    return cached(
        f"popular:{window}:{n}", lambda: by_views(posts_with_views(top_ids(window, n), window)), CACHE_SECONDS
    )


def popular_or_newest(window: str, n: int) -> tuple[list[Article], bool]:
    """The widget's posts in one query: the popular ones, or on a site with no views yet the newest (False)."""
    newest_ids = Article.objects.published().order_by("-published_at", "-id").values("pk")[:n]
    # A UNION of two indexed lookups; "id IN (...) OR id IN (...)" would scan the whole table.
    candidates = list(posts_with_views(top_ids(window, n), window).union(posts_with_views(newest_ids, window)))
    popular_posts = by_views([post for post in candidates if post.window_views > 0])
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


def trend_score(now: datetime, article: OuterRef | None = None) -> QuerySet:
    """Daily rows of the last days summed per post as `score`, each day weighted by its age (half-life a day)."""
    weights = trending_weights(now)
    weight = Case(
        *(When(date=day, then=Value(w)) for day, w in weights.items()),
        default=Value(0.0),
        output_field=FloatField(),
    )
    rows = ArticleDailyViews.objects.filter(date__gte=min(weights))
    if article is not None:
        rows = rows.filter(article=article)
    return rows.values("article").annotate(score=Sum(F("views") * weight, output_field=FloatField()))


def trending_posts(now: datetime, n: int) -> list[Article]:
    """The n published posts with the highest decayed view score, trend_score set on each."""
    top = (
        trend_score(now)
        .filter(article__status=Article.Status.PUBLISHED)
        .order_by("-score", "-article__published_at", "-article")
        .values("article")[:n]
    )
    posts = (
        Article.objects.with_source()
        .defer("body_html")
        .filter(pk__in=top)
        .annotate(trend_score=Subquery(trend_score(now, OuterRef("pk")).values("score")))
    )
    return sorted(posts, key=lambda post: (-post.trend_score, -post.published_at.timestamp(), -post.pk))


def trending(n: int = 10) -> list[Article]:
    """The n posts that are hot right now (decayed views, half-life about a day); trend_score set on each."""
    return cached(f"trending:{n}", lambda: trending_posts(timezone.now(), n), CACHE_SECONDS)
