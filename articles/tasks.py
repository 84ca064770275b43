"""Celery tasks of the reading side: thin shells over services."""

import logging

import redis
from celery import shared_task

from articles.popularity import flush_views as flush_views_service

logger = logging.getLogger(__name__)


# Beat runs it every minute, so a failed flush is simply retried by the next one: its batch stays in
# Redis in flight and is finished then. No retry of its own, or two flushes would pile up.
@shared_task(ignore_result=True)
def flush_views() -> None:
    """Move the view counts from Redis into the database."""
    try:
        result = flush_views_service()
    except redis.RedisError as error:
        logger.warning("View flush skipped, Redis unreachable (the next run finishes it): %s", error)
        return
    if result.batches or result.already_applied:
        logger.info(
            "Flushed %d views into %d daily rows (%d batches, %d finished from a stopped flush)",
            result.views,
            result.rows,
            result.batches,
            result.already_applied,
        )
