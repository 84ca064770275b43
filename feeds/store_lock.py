"""One writing transaction at a time per process on SQLite, where concurrent polls (pollfeeds --concurrency)
would otherwise meet "database is locked": a transaction that reads before it writes cannot wait for SQLite's
write lock, it fails at once. PostgreSQL takes row locks and needs none of this.

The turn is taken before the transaction begins and held until it has committed: given back before the COMMIT,
another thread could begin writing while this transaction still holds SQLite's lock. The transaction's on_commit
callbacks run after the turn is given back: they send requests and run tasks in-process (a WebSub subscribe whose
hub verifies through our callback at once), and a callback that waited on another thread's write while holding
the turn would hold up every writer of the process, or wait on itself.
"""

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection, transaction

_SQLITE_WRITES = threading.RLock()


class _Turn:
    """One acquisition of the write turn, given back once (by the first on_commit callback, or on the way out)."""

    def __init__(self) -> None:
        _SQLITE_WRITES.acquire()
        self.held = True

    def give_back(self) -> None:
        if self.held:
            self.held = False
            _SQLITE_WRITES.release()


@contextmanager
def write_transaction(*, savepoint: bool = True) -> Iterator[None]:
    """transaction.atomic() holding this process's SQLite write turn until it commits (plain atomic elsewhere)."""
    if connection.vendor != "sqlite":
        with transaction.atomic(savepoint=savepoint):
            yield
        return
    outermost, turn = not connection.in_atomic_block, _Turn()
    try:
        with transaction.atomic(savepoint=savepoint):
            if outermost:
                # Registered first, so it runs first when this transaction commits: before any other callback.
                transaction.on_commit(turn.give_back)
            yield
    finally:
        # A rollback (its callbacks are dropped), or a block inside an outer transaction, which commits later.
        turn.give_back()
