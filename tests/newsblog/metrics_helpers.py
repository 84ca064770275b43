"""Reading a Prometheus scrape in tests: which metrics it holds and their samples."""

from prometheus_client.parser import text_string_to_metric_families

# Family names as a scrape's parser gives them (a counter's without its _total).
# Every metric the issue names, by where a scrape shows it: the web's /metrics and the worker's port.
WEB_METRICS = {
    # django-prometheus: requests, database, cache
    "django_http_responses_total_by_status_view_method",
    "django_http_requests_latency_seconds_by_view_method",
    "django_db_execute",
    "django_db_query_duration_seconds",
    "django_cache_get",
    "django_cache_get_hits",
    "django_cache_get_misses",
    # ours: views, page cache, and the site's state read at scrape time
    "newsblog_views_recorded",
    "newsblog_views_dropped",
    "newsblog_page_cache_requests",
    "newsblog_sources",
    "newsblog_source_failing_seconds",
    "newsblog_last_successful_poll_timestamp_seconds",
    "newsblog_poll_interval_seconds",
    "newsblog_view_flush_lag_seconds",
    "newsblog_comments_pending_review",
    "newsblog_posts_pending_review",
}
WORKER_METRICS = {
    "newsblog_celery_tasks",
    "newsblog_celery_task_seconds",
    "newsblog_polls",
    "newsblog_entries",
    "newsblog_entries_skipped",
    "newsblog_fetch_seconds",
    "newsblog_parse_seconds",
    "newsblog_sanitize_seconds",
}


def families(text: str) -> dict:
    """name -> metric family of a scrape in Prometheus's text format."""
    return {family.name: family for family in text_string_to_metric_families(text)}


def value(text: str, sample_name: str, **labels: str) -> float:
    """The sum of a scrape's samples of this name whose labels include these."""
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == sample_name and labels.items() <= sample.labels.items()
    )
