"""Health probes as JSON; 200 when healthy, 503 otherwise.

GET /healthz/live: this process answers and so does the database. For load balancers and Compose:
it never depends on upstream feeds, the worker or beat, so a late poll never takes a web server out.
GET /healthz (also /healthz/ready): every part an operator watches, for monitoring.
"""

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

import kombu
import redis
from django.conf import settings
from django.db import connection
from django.db.models import Count, Max, Q
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from articles import popularity
from feeds.models import SILENT, Source

logger = logging.getLogger(__name__)


def check_database() -> dict:
    """The database answers a trivial query."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return {"ok": True}


def check_redis() -> dict:
    """Redis (cache and view counters) answers PING; in the embedded default there is none to check."""
    if not settings.REDIS_URL:
        return {"ok": True, "state": "not used (embedded default)"}
    # The pages' own timeout: a probe must answer fast even when Redis hangs.
    timeout = settings.REDIS_TIMEOUT_SECONDS
    client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=timeout, socket_timeout=timeout)
    try:
        client.ping()
    finally:
        client.close()
    return {"ok": True}


def check_broker() -> dict:
    """The Celery broker accepts a connection; in the embedded default tasks run in-process."""
    if settings.CELERY_TASK_ALWAYS_EAGER and settings.CELERY_BROKER_URL.startswith("memory://"):
        return {"ok": True, "state": "in-process (embedded default)"}
    timeout = settings.REDIS_TIMEOUT_SECONDS
    with kombu.Connection(settings.CELERY_BROKER_URL, connect_timeout=timeout) as conn:
        conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=timeout)
    return {"ok": True}


def check_last_poll() -> dict:
    """Age of the newest successful poll (stale when active sources exist and none succeeded lately); silent sources."""
    row = Source.objects.aggregate(
        last=Max("last_success_at"), active=Count("id", filter=Q(is_active=True)), silent=Count("id", filter=SILENT)
    )
    limit = timedelta(minutes=settings.HEALTHZ_MAX_POLL_AGE_MINUTES)
    # Reported, never failing: a silent feed is the editors' to judge (feeds/silence.py), not an outage.
    result = {**_age(row["last"]), "silent_sources": row["silent"]}
    # A new site (nothing polled yet) or one with no active source has nothing to be late with.
    result["ok"] = not row["active"] or row["last"] is None or timezone.now() - row["last"] <= limit
    if not result["ok"]:
        result["error"] = f"no successful poll for more than {settings.HEALTHZ_MAX_POLL_AGE_MINUTES} minutes"
    return result


def check_view_flush() -> dict:
    """Age of the last move of view counters from Redis to the database, and the counter's state."""
    status = popularity.counter_status()
    last = popularity.last_flush_at()
    result = {**_age(last), "counter": status}
    limit = timedelta(minutes=settings.HEALTHZ_MAX_FLUSH_AGE_MINUTES)
    late = last is not None and timezone.now() - last > limit
    result["ok"] = not status.startswith("down") and not late
    if status.startswith("down"):
        result["error"] = f"view counter {status}"
    elif late:
        result["error"] = f"no view flush for more than {settings.HEALTHZ_MAX_FLUSH_AGE_MINUTES} minutes"
    return result


# Readiness: everything. Liveness: only what this web process needs to serve a page.
CHECKS: dict[str, Callable[[], dict]] = {
    "database": check_database,
    "redis": check_redis,
    "broker": check_broker,
    "last_poll": check_last_poll,
    "view_flush": check_view_flush,
}
LIVE_CHECKS = ("database",)


def run_checks(names: tuple[str, ...] = tuple(CHECKS)) -> dict[str, dict]:
    """The named checks' results; a check that raises is reported as failed with its error, never hidden."""
    results = {}
    for name in names:
        check = CHECKS[name]
        try:
            results[name] = check()
        except Exception as error:  # noqa: BLE001 - any failure of a dependency is what this reports
            # The page is public: name the kind of failure, keep hosts and users for the log.
            logger.warning("health check %s failed", name, exc_info=True)
            results[name] = {"ok": False, "error": f"{type(error).__name__} (details in the server log)"}
    return results


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Readiness: 200 with {"status": "ok"} when every part works, else 503 listing the parts that failed."""
    return _report(run_checks())


@never_cache
@require_GET
def healthz_live(request: HttpRequest) -> JsonResponse:
    """Liveness: 200 when this process and the database answer; feeds, worker and beat are not asked."""
    return _report(run_checks(LIVE_CHECKS))


def _report(results: dict[str, dict]) -> JsonResponse:
    failing = [name for name, result in results.items() if not result["ok"]]
    body = {"status": "failing" if failing else "ok", "failing": failing, "checks": results}
    return JsonResponse(body, status=503 if failing else 200)


def _age(moment: datetime | None) -> dict:
    if moment is None:
        return {"at": None, "age_seconds": None}
    return {"at": moment.isoformat(), "age_seconds": int((timezone.now() - moment).total_seconds())}
