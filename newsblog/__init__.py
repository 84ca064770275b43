# ruff: noqa: I001 - the order matters: celery first (it picks the worker's metrics mode), then the metrics,
# before anything else makes a metric (newsblog/metrics/__init__.py says why).
from newsblog.celery import app as celery_app
from newsblog import metrics  # noqa: F401

__all__ = ("celery_app",)
