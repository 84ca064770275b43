"""Rendered fragments kept under digests of what they show (post cards, a post page's parts): read from this
process's memory first, then from the shared cache in one round trip.

A fragment's key names its content, so a copy in memory is never stale and needs no dropping: this layer only
saves round trips. It holds at most MAX_BYTES of HTML per process (least recently used out first), and it is on
when the in-process layer is (PAGE_CACHE_LOCAL_SECONDS > 0 with Redis; articles/hotpages.py).
"""

import logging
import threading
from collections import OrderedDict

from django.core.cache import cache
from redis import RedisError

from articles.hotpages import in_process_layer_on

logger = logging.getLogger(__name__)

MAX_BYTES = 8 * 1024 * 1024


class _Memory:
    """A least-recently-used map of key -> HTML, bounded by the HTML's total length, safe across threads."""

    def __init__(self, max_bytes: int = MAX_BYTES):
        self.max_bytes, self.size = max_bytes, 0
        self._html: OrderedDict[str, str] = OrderedDict()
        self._lock = threading.Lock()

    def get_many(self, keys: list[str]) -> dict[str, str]:
        with self._lock:
            found = {key: self._html[key] for key in keys if key in self._html}
            for key in found:
                self._html.move_to_end(key)
        return found

    def put_many(self, fragments: dict[str, str]) -> None:
        with self._lock:
            for key, html in fragments.items():
                if key not in self._html:
                    self.size += len(html)
                self._html[key] = html
                self._html.move_to_end(key)
            while self.size > self.max_bytes and self._html:
                _, dropped = self._html.popitem(last=False)
                self.size -= len(dropped)

    def clear(self) -> None:
        with self._lock:
            self._html.clear()
            self.size = 0


memory = _Memory()


def fragments_read(keys: list[str], what: str) -> dict[str, str]:
    """The fragments kept under these keys (those found), from memory, then the cache; {} when the cache fails."""
    found = memory.get_many(keys) if in_process_layer_on() else {}
    missing = [key for key in keys if key not in found]
    if not missing:
        return found
    try:
        shared = cache.get_many(missing)
    except RedisError as error:
        logger.warning("%s cache read failed, rendering them: %s", what, error)
        return found
    if shared and in_process_layer_on():
        memory.put_many(shared)
    return {**found, **shared}


def fragments_keep(fragments: dict[str, str], seconds: int, what: str) -> None:
    """Keep freshly rendered fragments in the cache (and in memory) for `seconds`."""
    if in_process_layer_on():
        memory.put_many(fragments)
    try:
        cache.set_many(fragments, seconds)
    except RedisError as error:
        logger.warning("%s cache write failed: %s", what, error)
