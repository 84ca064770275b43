"""Values worth keeping in the cache (a widget's posts, a ranking): one way to read them, compute and keep them."""

import logging
from collections.abc import Callable
from typing import TypeVar

from django.core.cache import cache
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

T = TypeVar("T")


def cached(key: str, compute: Callable[[], T], seconds: int) -> T:
    """compute() cached under key for `seconds`; computed afresh, uncached, when the cache (Redis) is down."""
    try:
        value = cache.get(key)
    except RedisError as error:
        logger.warning("Cache unreachable, computing %s uncached: %s", key, error)
        return compute()
    if value is None:
        value = compute()
        try:
            cache.set(key, value, seconds)
        except RedisError as error:
            logger.warning("Cache unreachable, not storing %s: %s", key, error)
    return value
