"""The Celery worker's metrics: task counts and durations by task name and outcome, served on CELERY_METRICS_PORT.

The worker's pool processes each write their own metric files; the worker's main process serves them all,
added up, on its own port (newsblog/celery.py gives the worker a fresh, empty directory before any metric
module is imported, as prometheus-client's multiprocess mode requires).
"""

import logging
import os
import shutil
import tempfile
import time

from prometheus_client import start_http_server
from prometheus_client.multiprocess import mark_process_dead

from newsblog.metrics import TASK_SECONDS, TASKS, scrape_registry

logger = logging.getLogger(__name__)
_started: dict[str, float] = {}


def serve(*, port: int, address: str) -> None:
    """Serve this process's metrics (worker or beat); a port already taken is logged as an error, and no more."""
    try:
        start_http_server(port, addr=address, registry=scrape_registry())
    except OSError as error:
        logger.error(
            "worker metrics: cannot listen on %s:%s (%s); CELERY_METRICS_PORT=0 turns them off", address, port, error
        )
        return
    logger.info("worker metrics on http://%s:%s/metrics", address, port)


def task_started(task_id: str) -> None:
    _started[task_id] = time.perf_counter()


def task_finished(*, task_id: str, task_name: str, state: str | None) -> None:
    started = _started.pop(task_id, None)
    outcome = state or "UNKNOWN"
    TASKS.labels(task=task_name, outcome=outcome).inc()
    if started is not None:
        TASK_SECONDS.labels(task=task_name, outcome=outcome).observe(time.perf_counter() - started)


def process_exited(pid: int) -> None:
    """A pool process ended: its live gauges go (counters and histograms stay counted)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        mark_process_dead(pid)


def remove_dir() -> None:
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")
    # Only the directory newsblog/celery.py made for this worker, never one an operator named.
    if directory.startswith(tempfile.gettempdir()) and "newsblog-worker-metrics-" in directory:
        shutil.rmtree(directory, ignore_errors=True)
