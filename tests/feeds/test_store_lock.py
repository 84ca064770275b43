"""The write turn on the embedded default (SQLite): held until a transaction commits, given back before the work
its commit sets off, so that work may wait on another thread's write (as an in-process hub verification does).

Runs on PostgreSQL (no turn at all) and again on SQLite (.ci/run).
"""

import threading

import pytest
from django.db import connection

from articles import pagecache
from feeds.models import Source
from feeds.services import feed_poll
from feeds.store_lock import write_transaction
from tests.factories import SourceFactory

pytestmark = pytest.mark.django_db(transaction=True)
WAIT_SECONDS = 3


def written_by_another_thread(source_id: int, name: str) -> bool:
    """Rename the source from another thread, in a write transaction of its own; True once it committed in time."""
    done = threading.Event()

    def write() -> None:
        try:
            with write_transaction():
                Source.objects.filter(pk=source_id).update(name=name)
            done.set()
        finally:
            connection.close()

    thread = threading.Thread(target=write, daemon=True)
    thread.start()
    committed = done.wait(WAIT_SECONDS)
    thread.join(WAIT_SECONDS)  # one left waiting on the turn goes on when the turn is given back
    return committed


def test_a_polls_on_commit_work_can_wait_for_another_threads_write(source_at, monkeypatch):
    source = source_at("/feed.xml", file="feeds/rss20.xml")
    waited: list[bool] = []
    # The poll's page-cache drop runs on commit; here it waits for another thread's write, as a callback that sends
    # a WebSub subscribe to a hub which verifies through our own callback (another thread) would.
    monkeypatch.setattr(
        pagecache, "page_cache_invalidate_posts", lambda ids: waited.append(written_by_another_thread(source.pk, "B"))
    )
    attempt = feed_poll(source=source)
    assert attempt.outcome == "ok" and attempt.entries_new > 0
    assert waited and all(waited)
    source.refresh_from_db()
    assert source.name == "B"


def test_a_rolled_back_transaction_gives_the_turn_back():
    source = SourceFactory(name="A")
    with pytest.raises(RuntimeError), write_transaction():
        Source.objects.filter(pk=source.pk).update(name="never")
        raise RuntimeError("the poll crashed")
    assert written_by_another_thread(source.pk, "next")
    source.refresh_from_db()
    assert source.name == "next"
