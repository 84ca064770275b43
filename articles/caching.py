"""Values worth keeping in the cache (a widget's posts, a ranking): one way to read them, compute and keep them."""

import logging
from collections.abc import Callable
from typing import TypeVar

from django.core.cache import cache
from redis.exceptions import RedisError

from articles.hotpages import hot_pages

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


def cached_nearby(name: str, shared_key: Callable[[], str], compute: Callable[[], T], seconds: int) -> T:
    """cached(shared_key(), ...) kept under name in this process for PAGE_CACHE_LOCAL_SECONDS too, as the hottest
    pages are (articles/hotpages.py): a sidebar widget read on every page costs no round trip most of the time."""
    local_key = f"nearby:{name}"
    value = hot_pages.get(local_key)
    if value is None:
        value = cached(shared_key(), compute, seconds)
        hot_pages.put(local_key, value)
    return value
