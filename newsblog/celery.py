"""The Celery app. Worker: `celery -A newsblog --quiet worker -l info`; beat: `... --quiet beat -l info`.

`--quiet` leaves out the start-up banner, which Celery prints outside logging (so never as JSON).
"""

import logging
import os
import sys
import tempfile
from logging.config import dictConfig

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsblog.settings")


WORKER_METRICS_DIR_PREFIX = "newsblog-worker-metrics-"


def _is_celery(command: str) -> bool:
    """This process is `celery ... <command>` (decided before Django and its metric modules are imported)."""
    return command in sys.argv[1:] and os.path.basename(sys.argv[0]).startswith(("celery", "__main__"))


def _metrics_port(name: str, default: int) -> int:
    from newsblog.env import env_int

    return env_int(name, default, minimum=0)


# prometheus-client picks its multiprocess mode when first imported, and the pool's processes inherit it:
# the worker gets a fresh directory of its own now, before Django's set-up imports any metric. Beat (one
# process), and a worker whose metrics are off, keep theirs in memory, never in a directory the environment
# names for gunicorn.
WORKER_METRICS = _is_celery("worker") and _metrics_port("CELERY_METRICS_PORT", 9808) > 0
BEAT_METRICS = _is_celery("beat") and _metrics_port("CELERY_BEAT_METRICS_PORT", 9809) > 0
if WORKER_METRICS:
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix=WORKER_METRICS_DIR_PREFIX)
elif _is_celery("worker") or _is_celery("beat"):
    os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)

app = Celery("newsblog")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.setup_logging.connect
def log_like_the_site(**_kwargs) -> None:
    """Workers and beat log through Django's LOGGING (plain, or JSON with DJANGO_LOG_JSON), not Celery's format."""
    from django.conf import settings

    dictConfig(settings.LOGGING)
    # Python's warnings (Celery's own start-up ones among them) become log lines in the same format.
    logging.captureWarnings(True)


@signals.worker_ready.connect
def say_shutdown_in_the_log(sender, **_kwargs) -> None:
    """Celery prints "Warm shutdown" on SIGTERM outside logging; handle SIGTERM quietly and log it instead."""
    from celery.apps.worker import install_worker_term_handler  # worker processes only

    install_worker_term_handler(sender.controller, verbose=False)


@signals.worker_shutting_down.connect
def log_shutdown(sig: str, how: str, **_kwargs) -> None:
    logging.getLogger("celery.apps.worker").info("worker: %s shutdown on %s", how, sig)


@signals.worker_init.connect
def serve_worker_metrics(**_kwargs) -> None:
    """The worker's own /metrics on CELERY_METRICS_PORT (tasks by name and outcome, and the polls they ran)."""
    if WORKER_METRICS:
        from django.conf import settings

        from newsblog.metrics.worker import serve

        serve(port=settings.CELERY_METRICS_PORT, address=settings.CELERY_METRICS_ADDRESS)


@signals.beat_init.connect
def serve_beat_metrics(**_kwargs) -> None:
    """Beat's own /metrics on CELERY_BEAT_METRICS_PORT: the tasks it sent, by name."""
    if BEAT_METRICS:
        from django.conf import settings

        from newsblog.metrics.worker import serve

        serve(port=settings.CELERY_BEAT_METRICS_PORT, address=settings.CELERY_METRICS_ADDRESS)


@signals.before_task_publish.connect
def task_sent(sender: str | None = None, **_kwargs) -> None:
    from newsblog.metrics import TASKS_SENT

    TASKS_SENT.labels(task=sender or "unknown").inc()


@signals.task_prerun.connect
def task_started(task_id: str, **_kwargs) -> None:
    from newsblog.metrics.worker import task_started

    task_started(task_id)


@signals.task_postrun.connect
def task_finished(task_id: str, task, state: str | None = None, **_kwargs) -> None:
    from newsblog.metrics.worker import task_finished

    task_finished(task_id=task_id, task_name=task.name, state=state)


@signals.worker_process_shutdown.connect
def pool_process_exited(pid: int | None = None, **_kwargs) -> None:
    from newsblog.metrics.worker import process_exited

    process_exited(pid or os.getpid())


@signals.worker_shutdown.connect
def remove_worker_metrics(**_kwargs) -> None:
    if WORKER_METRICS:
        from newsblog.metrics.worker import remove_dir

        remove_dir()
