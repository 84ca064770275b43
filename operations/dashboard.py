"""The newsroom at a glance, for the admin index: what needs an editor now, and the last 30 days."""

from datetime import date, datetime, time, timedelta
from urllib.parse import urlencode

from django.db.models import Count, F, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.safestring import SafeString

from articles.models import Article, ArticleDailyViews, Comment
from feeds.models import FetchAttempt, Source
from feeds.politeness import paused_hosts
from feeds.scheduler import scheduler_missing
from operations.charts import Bar, bar_chart

CHART_DAYS = 30
FAILING_SHOWN = 10


def start_of_day(day: date) -> datetime:
    """Midnight of a day in the site's time zone, as an aware datetime."""
    return timezone.make_aware(datetime.combine(day, time.min))


def newsroom_summary() -> dict:
    """Everything the admin index shows, in a fixed number of queries."""
    today = timezone.localdate()
    first_day = today - timedelta(days=CHART_DAYS - 1)
    since = start_of_day(first_day)
    failing = Source.objects.failing()
    return {
        "failing_sources": list(failing.order_by("-consecutive_failures", "name")[:FAILING_SHOWN]),
        "failing_count": failing.count(),
        "scheduler_missing": scheduler_missing(),
        # Hosts that asked us to slow down or keep failing: every source on them waits (feeds/politeness).
        "paused_hosts": paused_hosts(),
        "silent_count": Source.objects.silent().count(),
        "originals_removed": Article.objects.filter(original_removed_at__isnull=False).count(),
        "pending_comments": Comment.objects.pending().count(),
        "pending_posts": Article.objects.filter(status=Article.Status.PENDING).count(),
        "posts_today": Article.objects.filter(fetched_at__gte=start_of_day(today)).count(),
        # The posts list filtered the same way, for the figure's link.
        "posts_today_query": urlencode({"fetched_at__gte": start_of_day(today).isoformat()}),
        "charts": [
            _daily_chart(
                "Posts ingested per day",
                "posts",
                Article.objects.filter(fetched_at__gte=since)
                .annotate(day=TruncDate("fetched_at"))
                .values("day")
                .annotate(total=Count("id")),
                first_day,
            ),
            _daily_chart(
                "Views per day",
                "views",
                ArticleDailyViews.objects.filter(date__gte=first_day)
                .values(day=F("date"))
                .annotate(total=Sum("views")),
                first_day,
            ),
            _daily_chart(
                "Fetch failures per day",
                "failures",
                FetchAttempt.objects.filter(started_at__gte=since, outcome=FetchAttempt.Outcome.ERROR)
                .annotate(day=TruncDate("started_at"))
                .values("day")
                .annotate(total=Count("id")),
                first_day,
                kind="error",
            ),
        ],
    }


def daily_bars(totals: dict[date, int], first_day: date, days: int, unit: str, kind: str = "default") -> list[Bar]:
    """One bar a day from first_day on, zero for days with no row."""
    days_shown = (first_day + timedelta(days=offset) for offset in range(days))
    return [Bar(totals.get(day, 0), f"{day:%a %d %b}: {totals.get(day, 0)} {unit}", kind) for day in days_shown]


def _daily_chart(title: str, unit: str, rows, first_day: date, kind: str = "default") -> dict:
    totals = {row["day"]: row["total"] or 0 for row in rows}
    bars = daily_bars(totals, first_day, CHART_DAYS, unit, kind)
    svg: SafeString = bar_chart(
        bars,
        title=f"{title}, last {CHART_DAYS} days",
        first_label=f"{first_day:%d %b}",
        last_label="today",
        unit=unit,
    )
    return {"title": title, "svg": svg, "total": sum(totals.values())}
