"""The Celery app. Worker: `celery -A newsblog --quiet worker -l info`; beat: `... --quiet beat -l info`.

`--quiet` leaves out the start-up banner, which Celery prints outside logging (so never as JSON).
"""

import logging
import os
from logging.config import dictConfig

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsblog.settings")

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
