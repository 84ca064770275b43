"""Prometheus metrics: what the code records (prometheus-client), and how a scrape reads them.

Request, database and cache metrics are django-prometheus's (settings wire in its database backend, our
counting cache backend and our request middleware, newsblog/metrics/requests.py); the domain metrics are
defined here, once, and recorded where things happen. Under gunicorn and in the Celery worker every process
writes its own files in PROMETHEUS_MULTIPROC_DIR (set by gunicorn.conf.py and newsblog/celery.py before this
module is imported) and a scrape adds them up; gauges that describe the database (sources by state, flush
lag) are computed at scrape time instead (operations/site_state.py).
"""

import os
import sys

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, values
from prometheus_client.multiprocess import MultiProcessCollector


class _ProcessId:
    """os.getpid(), remembered and renewed in each forked child.

    In multiprocess mode prometheus-client asks for the process id on every update, to notice a fork. Where a
    system call costs microseconds (sandboxed containers) that was most of the metrics' cost on a cached page
    (bench/pages.py --metrics-cost); a fork handler renews the remembered id, so the files it names stay right.
    """

    value = os.getpid()

    @classmethod
    def renew(cls) -> None:
        cls.value = os.getpid()

    @classmethod
    def get(cls) -> int:
        return cls.value


os.register_at_fork(after_in_child=_ProcessId.renew)
# Only before any metric exists: a second value class on the same files would overwrite the first's entries.
# newsblog/__init__.py imports this module first thing, so nothing has made a metric yet.
if os.environ.get("PROMETHEUS_MULTIPROC_DIR") and "django_prometheus" not in sys.modules:
    values.ValueClass = values.MultiProcessValue(process_identifier=_ProcessId.get)

# Seconds: from a fast 304 to a slow feed at the fetcher's deadline.
FETCH_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
# Seconds: parsing and sanitizing one document.
WORK_BUCKETS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10)

POLLS = Counter("newsblog_polls", "Polls of a source, by outcome (ok, not_modified, error).", ["outcome"])
ENTRIES = Counter("newsblog_entries", "Feed entries stored, by result (new, updated).", ["result"])
ENTRIES_SKIPPED = Counter(
    "newsblog_entries_skipped",
    "Feed entries left out of a poll, by reason (unpreparable: sanitize failed; refused: the database refused it).",
    ["reason"],
)
WEBSUB_PUSHES = Counter(
    "newsblog_websub_pushes",
    "WebSub pushes to our callbacks, by result (accepted, replayed, unsigned, bad_signature, too_large, gone).",
    ["result"],
)
FETCH_SECONDS = Histogram("newsblog_fetch_seconds", "Seconds fetching a feed document.", buckets=FETCH_BUCKETS)
PARSE_SECONDS = Histogram("newsblog_parse_seconds", "Seconds parsing a feed document.", buckets=WORK_BUCKETS)
SANITIZE_SECONDS = Histogram(
    "newsblog_sanitize_seconds", "Seconds sanitizing a feed document's new entries.", buckets=WORK_BUCKETS
)
VIEWS_RECORDED = Counter("newsblog_views_recorded", "Post views handed to the view counter.")
VIEWS_DROPPED = Counter("newsblog_views_dropped", "Post views lost because the view counter was unreachable.")
PAGE_CACHE = Counter(
    "newsblog_page_cache_requests",
    "Cacheable page requests, by result (hit; miss; stale: the copy before a change, served while one renders).",
    ["result"],
)
PAGE_CACHE_HIT, PAGE_CACHE_MISS = PAGE_CACHE.labels(result="hit"), PAGE_CACHE.labels(result="miss")
PAGE_CACHE_STALE = PAGE_CACHE.labels(result="stale")
TASKS = Counter(
    "newsblog_celery_tasks",
    "Celery tasks run, by task name and outcome (SUCCESS, FAILURE, RETRY).",
    ["task", "outcome"],
)
TASKS_SENT = Counter("newsblog_celery_tasks_sent", "Celery tasks sent to the broker, by task name.", ["task"])
TASK_SECONDS = Histogram(
    "newsblog_celery_task_seconds",
    "Seconds a Celery task ran, by task name and outcome.",
    ["task", "outcome"],
    buckets=FETCH_BUCKETS,
)

# Every known label value is shown from the start, at 0, so a rate over a first event is not lost.
for _outcome in ("ok", "not_modified", "error"):
    POLLS.labels(outcome=_outcome)
for _result in ("new", "updated"):
    ENTRIES.labels(result=_result)
for _reason in ("unpreparable", "refused"):
    ENTRIES_SKIPPED.labels(reason=_reason)
for _result in ("accepted", "replayed", "unsigned", "bad_signature", "too_large", "gone"):
    WEBSUB_PUSHES.labels(result=_result)


def multiprocess() -> bool:
    """True when every process writes its own metric files (gunicorn, the Celery worker)."""
    return bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))


def scrape_registry() -> CollectorRegistry:
    """The registry a scrape reads: every process's files added up, or this process's own metrics."""
    if not multiprocess():
        return REGISTRY
    registry = CollectorRegistry()
    MultiProcessCollector(registry)
    return registry
