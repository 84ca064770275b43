"""manage.py pollfeeds --all | --due | --source ID ... [--concurrency N]: poll in this process, no worker needed.

Up to N sources are polled at once, in threads (the wait is the network's); each poll stores through the same
service as a worker's, and on SQLite the store steps take turns (feeds/store_lock.py). Per-host politeness holds
across the threads (feeds/politeness).
"""

import itertools
import logging
import queue
import threading
import time
from dataclasses import dataclass

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, connection

from feeds.ingest.errors import error_summary
from feeds.management.progress import progress_bar
from feeds.models import FetchAttempt, Source
from feeds.politeness import host_of
from feeds.scheduler import POLLFEEDS, scheduler_run_record
from feeds.services import feed_poll

logger = logging.getLogger("feeds.poll")
DEFAULT_CONCURRENCY = 8
MAX_CONCURRENCY = 64


def concurrency(value: str) -> int:
    number = int(value)
    if not 1 <= number <= MAX_CONCURRENCY:
        raise ValueError(value)
    return number


@dataclass
class PollRow:
    """One line of the summary: the attempt feed_poll recorded, or why it could not record one."""

    feed: Source
    seconds: float
    attempt: FetchAttempt | None = None
    crash: str = ""

    @property
    def failed(self) -> bool:
        return self.attempt is None or self.attempt.outcome == FetchAttempt.Outcome.ERROR

    @property
    def deferred(self) -> bool:
        return self.attempt is not None and self.attempt.outcome == FetchAttempt.Outcome.DEFERRED

    @property
    def outcome(self) -> str:
        return self.attempt.get_outcome_display() if self.attempt else "Not recorded"

    @property
    def error(self) -> str:
        return self.attempt.error if self.attempt else self.crash


class Command(BaseCommand):
    help = "Poll feeds synchronously in this process and print a summary. Failing feeds are reported, not fatal."

    def add_arguments(self, parser):
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("--all", action="store_true", help="every active source")
        which.add_argument("--due", action="store_true", help="active sources whose next poll time has come")
        which.add_argument("--source", type=int, nargs="+", metavar="ID", help="these sources (by id)")
        parser.add_argument(
            "--concurrency",
            type=concurrency,
            default=DEFAULT_CONCURRENCY,
            metavar="N",
            help=f"poll up to N sources at once, 1-{MAX_CONCURRENCY} (default {DEFAULT_CONCURRENCY})",
        )

    def handle(self, *args, all: bool, due: bool, source: list[int] | None, concurrency: int, **options):  # noqa: A002
        if due:
            scheduler_run_record(name=POLLFEEDS)
        sources = list(self._sources(all, due, source))
        if not sources:
            self.stdout.write("Nothing to poll.")
            return
        # Inside a caller's transaction other threads' connections would not see its rows: one at a time here.
        if concurrency == 1 or len(sources) == 1 or connection.in_atomic_block:
            rows = self._poll_in_turn(sources)
        else:
            rows = self._poll_at_once(sources, concurrency)
        self._progress(len(sources), len(sources), "done")
        order = {feed.pk: index for index, feed in enumerate(sources)}
        self._summary(sorted(rows, key=lambda row: order[row.feed.pk]))

    def _poll_in_turn(self, sources: list[Source]) -> list[PollRow]:
        rows = []
        for index, feed in enumerate(sources, start=1):
            self._progress(index - 1, len(sources), feed.name)
            rows.append(self._poll(feed))
        return rows

    def _poll_at_once(self, sources: list[Source], workers: int) -> list[PollRow]:
        """Poll with `workers` threads; the progress line (this thread's only) moves as each poll finishes."""
        todo: queue.SimpleQueue[Source] = queue.SimpleQueue()
        for feed in _interleaved_by_host(sources):
            todo.put(feed)
        done: queue.SimpleQueue[PollRow] = queue.SimpleQueue()
        threads = [
            threading.Thread(target=self._poll_from, args=(todo, done), name=f"pollfeeds-{n}", daemon=True)
            for n in range(min(workers, len(sources)))
        ]
        for thread in threads:
            thread.start()
        rows = []
        self._progress(0, len(sources), f"polling {len(threads)} at a time")
        try:
            while len(rows) < len(sources):
                rows.append(done.get())
                self._progress(len(rows), len(sources), rows[-1].feed.name)
        except KeyboardInterrupt:
            while not todo.empty():  # the polls under way finish; none is started after them
                todo.get_nowait()
            raise
        return rows

    def _poll_from(self, todo: queue.SimpleQueue, done: queue.SimpleQueue) -> None:
        """A worker thread: poll sources from the queue until it is empty, then close this thread's connection."""
        try:
            while True:
                try:
                    feed = todo.get_nowait()
                except queue.Empty:
                    return
                done.put(self._poll(feed))
        finally:
            connection.close()

    def _poll(self, feed: Source) -> PollRow:
        """Poll one source; a database failure is reported for it and the run goes on with the next one."""
        started = time.monotonic()
        try:
            attempt = feed_poll(source=feed)
        except DatabaseError as error:
            logger.exception(
                "pollfeeds: poll of %s failed with a database error", feed.slug, extra={"source": feed.slug}
            )
            crash = f"Database error, poll not recorded ({error_summary(error)})."
            _reconnect_if_broken()
            return PollRow(feed, time.monotonic() - started, crash=crash)
        except Exception as error:  # noqa: BLE001 - one crashed poll is reported; the others go on
            logger.exception("pollfeeds: poll of %s crashed", feed.slug, extra={"source": feed.slug})
            return PollRow(feed, time.monotonic() - started, crash=f"Poll crashed ({error_summary(error)}).")
        return PollRow(feed, time.monotonic() - started, attempt=attempt)

    def _sources(self, everything: bool, due: bool, ids: list[int] | None):
        if everything:
            return Source.objects.active()
        if due:
            return Source.objects.due()
        found = Source.objects.in_bulk(ids)
        missing = [str(source_id) for source_id in ids if source_id not in found]
        if missing:
            raise CommandError(f"No source with id {', '.join(missing)}.")
        return [found[source_id] for source_id in dict.fromkeys(ids)]

    def _progress(self, done: int, total: int, label: str) -> None:
        progress_bar(self.stderr, done, total, label)

    def _summary(self, rows: list[PollRow]) -> None:
        width = max([len("source")] + [len(row.feed.name[:40]) for row in rows])
        self.stdout.write(f"{'source':<{width}}  {'outcome':<12}  {'new':>5}  {'updated':>7}  {'time':>7}")
        for row in rows:
            new, updated = (row.attempt.entries_new, row.attempt.entries_updated) if row.attempt else ("-", "-")
            line = f"{row.feed.name[:40]:<{width}}  {row.outcome:<12}  {new:>5}  {updated:>7}"
            self.stdout.write(f"{line}  {row.seconds:>6.2f}s")
        failed = [row for row in rows if row.failed]
        deferred = [row for row in rows if row.deferred]
        fine = len(rows) - len(failed) - len(deferred)
        later = f", {len(deferred)} deferred (host busy or backing off)" if deferred else ""
        self.stdout.write(f"{len(rows)} polled, {fine} fine, {len(failed)} failed{later}.")
        for row in failed + deferred:
            self.stdout.write(self.style.WARNING(f"  {row.feed.name} (id {row.feed.pk}): {row.error}"))


def _interleaved_by_host(sources: list[Source]) -> list[Source]:
    """One source of each host in turn, so the threads are not all kept waiting by one host's politeness while
    sources on other hosts wait in the queue."""
    by_host: dict[str, list[Source]] = {}
    for feed in sources:
        by_host.setdefault(host_of(feed.feed_url), []).append(feed)
    rounds = itertools.zip_longest(*by_host.values())
    return [feed for round_ in rounds for feed in round_ if feed is not None]


def _reconnect_if_broken() -> None:
    """Drop a connection the failure left unusable so the next source reconnects (never inside a transaction)."""
    if not connection.in_atomic_block:
        connection.close_if_unusable_or_obsolete()
