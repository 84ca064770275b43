"""Politeness toward the hosts we re-check: at most one request per host per second, and a budget per minute.

Both are kept in the cache: with Redis every worker shares them, without Redis (embedded default) each process
keeps its own. A Redis failure reaches the caller (the task fails and says so), never a silent free pass.
"""

import time

from django.core.cache import cache

from operations.counters import window_count

HOST_INTERVAL_SECONDS = 1


def host_free(host: str) -> bool:
    """True, and the host is taken for the next second, if no request went to it in the last second."""
    return cache.add(f"polite:host:{host}", 1, HOST_INTERVAL_SECONDS)


def within_budget(name: str, per_minute: int) -> bool:
    """Count one request against this minute's budget; False once the budget is spent."""
    minute = int(time.time() // 60)
    return window_count(f"polite:budget:{name}:{minute}", 60) <= per_minute
