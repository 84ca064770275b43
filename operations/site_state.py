"""Gauges read from the database and Redis at scrape time: what the site's state is, not what a process did.

Computed by the web process that answers /metrics (a few small queries a scrape), so they are right
whichever process changed the state, and never add up across gunicorn's workers.
"""

from django.conf import settings
from django.db.models import Count, Max, Min, Q
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily

from articles import popularity
from articles.models import Article, Comment
from feeds.models import SILENT, Source

FAILING = Q(is_active=True, consecutive_failures__gt=0)


class SiteStateCollector:
    """Sources by state, the oldest failure, the last successful poll, the flush lag, comments and posts to review."""

    def collect(self):
        now = timezone.now()
        yield _sources_by_state()
        row = Source.objects.aggregate(
            last_success=Max("last_success_at"),
            failing_since=Min("last_success_at", filter=FAILING),
            oldest_failing=Min("created_at", filter=FAILING & Q(last_success_at__isnull=True)),
        )
        failing_since = min(filter(None, [row["failing_since"], row["oldest_failing"]]), default=None)
        yield _gauge(
            "newsblog_source_failing_seconds",
            "Seconds since the longest-failing active source last succeeded (0 when none fails).",
            (now - failing_since).total_seconds() if failing_since else 0,
        )
        if row["last_success"] is not None:
            yield _gauge(
                "newsblog_last_successful_poll_timestamp_seconds",
                "Unix time of the newest successful poll of any source.",
                row["last_success"].timestamp(),
            )
        yield _gauge(
            "newsblog_poll_interval_seconds",
            "The default poll interval (FEEDS_DEFAULT_INTERVAL_MINUTES) in seconds.",
            settings.FEEDS_DEFAULT_INTERVAL_MINUTES * 60,
        )
        last_flush = popularity.last_flush_at()
        if last_flush is not None:
            yield _gauge(
                "newsblog_view_flush_lag_seconds",
                "Seconds since view counts were last moved from Redis to the database.",
                (now - last_flush).total_seconds(),
            )
        yield _gauge(
            "newsblog_comments_pending_review",
            "Reader comments waiting for an editor's approval.",
            Comment.objects.pending().count(),
        )
        yield _gauge(
            "newsblog_posts_pending_review",
            "Posts from sources in review mode waiting for an editor to publish or reject them.",
            Article.objects.filter(status=Article.Status.PENDING).count(),
        )


def _sources_by_state() -> GaugeMetricFamily:
    counts = Source.objects.aggregate(
        healthy=Count("id", filter=Q(is_active=True, consecutive_failures=0, silent_since__isnull=True)),
        silent=Count("id", filter=SILENT),
        failing=Count("id", filter=FAILING),
        disabled=Count("id", filter=Q(is_active=False)),
    )
    family = GaugeMetricFamily(
        "newsblog_sources",
        "Sources by state: healthy, silent (fetched fine, stopped publishing), failing, disabled.",
        labels=["state"],
    )
    for state, count in counts.items():
        family.add_metric([state], count)
    return family


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)
