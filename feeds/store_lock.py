"""One writing transaction at a time per process on SQLite, where concurrent polls (pollfeeds --concurrency)
would otherwise meet "database is locked": a transaction that reads before it writes cannot wait for SQLite's
write lock, it fails at once. PostgreSQL takes row locks and needs none of this.
"""

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection

_SQLITE_WRITES = threading.RLock()


@contextmanager
def serialized_writes() -> Iterator[None]:
    """Hold this process's SQLite write turn for the block (re-entrant); nothing on other databases."""
    if connection.vendor != "sqlite":
        yield
        return
    with _SQLITE_WRITES:
        yield
