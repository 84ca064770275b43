"""Counters over a time window, kept in the cache: the basis of our throttles."""

from django.core.cache import cache


def window_count(key: str, seconds: int) -> int:
    """Count one more under key; the window starts with the first count and ends `seconds` later.

    Returns the count so far. Cache errors (Redis down) reach the caller, who decides what an outage means.
    """
    if cache.add(key, 1, seconds):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # the window ended between add and incr: this count starts a new one
        cache.add(key, 1, seconds)
        return 1
