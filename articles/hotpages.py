"""The hottest cached pages, kept a few seconds in the process itself in front of the shared cache.

A page read from Redis as current is kept here for PAGE_CACHE_LOCAL_SECONDS (2 by default), so a burst of
readers on the home page or a breaking story costs one Redis read per process every few seconds instead of
one per request. No other process can drop these copies: a change shows everywhere within those seconds
(at once in the process that made it, which clears its own copies). Without Redis the page cache already
lives in the process, and this layer stays off.
"""

import threading
import time
from collections import OrderedDict

from django.conf import settings

# About 256 pages of ~50 KB: a bounded few MB per process, whatever readers ask for.
MAX_PAGES = 256


class HotPages:
    """A small least-recently-used map of page key -> (expiry, page), safe across threads."""

    def __init__(self, max_pages: int = MAX_PAGES):
        self.max_pages = max_pages
        self._pages: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str):
        if not _seconds():
            return None
        with self._lock:
            found = self._pages.get(key)
            if found is None:
                return None
            expires, page = found
            if expires <= time.monotonic():
                del self._pages[key]
                return None
            self._pages.move_to_end(key)
            return page

    def put(self, key: str, page) -> None:
        seconds = _seconds()
        if not seconds:
            return
        with self._lock:
            self._pages[key] = (time.monotonic() + seconds, page)
            self._pages.move_to_end(key)
            while len(self._pages) > self.max_pages:
                self._pages.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._pages.clear()


def _seconds() -> float:
    return settings.PAGE_CACHE_LOCAL_SECONDS if settings.REDIS_URL else 0


def in_process_layer_on() -> bool:
    """Whether this process keeps copies of what it reads from Redis (off without Redis: the cache is local)."""
    return bool(_seconds())


hot_pages = HotPages()
