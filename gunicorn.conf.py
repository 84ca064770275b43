"""gunicorn's settings for newsblog; every documented way of running it passes `--config gunicorn.conf.py`.

Its own lines (start-up, workers, access log) follow DJANGO_LOG_JSON like the site's. No control socket:
nothing here uses `gunicornc`, and the service user may have no home to put the socket in.
"""

import gc
import logging
import os
import tempfile
from pathlib import Path

from newsblog.env import env_bool
from newsblog.logging import gunicorn_log_config

logconfig_dict = gunicorn_log_config(json=env_bool("DJANGO_LOG_JSON", default=False))
control_socket_disable = True

# Python's warnings become log lines in the same format, in the master and the workers it forks.
logging.captureWarnings(True)


def _metrics_dir() -> str:
    """Where every worker writes its metric files: PROMETHEUS_MULTIPROC_DIR, else a new directory of our own.

    Set here, in the master, before any worker imports prometheus-client, which reads it at import.
    """
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="newsblog-web-metrics-")
    return os.environ["PROMETHEUS_MULTIPROC_DIR"]


METRICS_DIR = _metrics_dir()


def on_starting(server) -> None:
    """Empty the metrics directory once per start, as prometheus-client's multiprocess mode requires:
    files of a previous run would add their old counts to this one's."""
    path = Path(METRICS_DIR)
    path.mkdir(parents=True, exist_ok=True)
    for stale in path.glob("*.db"):
        stale.unlink()


def child_exit(server, worker) -> None:
    """A worker ended: drop its live gauges from the sum (its counters and histograms stay counted)."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def post_worker_init(worker) -> None:
    """The site is loaded in this worker: keep what loading it allocated out of the cyclic garbage collector's way.

    Its full collections would otherwise walk some 120,000 long-lived objects (modules, models, URL patterns,
    templates) each time, a pause of 105-255 ms per worker under bench/load.py; frozen, they took 23-71 ms.
    """
    gc.freeze()
