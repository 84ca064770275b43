"""manage.py pollfeeds --all | --due | --source ID ...: poll in this process, no worker needed."""

import logging
import time
from dataclasses import dataclass

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, connection

from feeds.ingest.errors import error_summary
from feeds.management.progress import progress_bar
from feeds.models import FetchAttempt, Source
from feeds.scheduler import POLLFEEDS, scheduler_run_record
from feeds.services import feed_poll

logger = logging.getLogger("feeds.poll")


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

    def handle(self, *args, all: bool, due: bool, source: list[int] | None, **options):  # noqa: A002
        if due:
            scheduler_run_record(name=POLLFEEDS)
        sources = list(self._sources(all, due, source))
        if not sources:
            self.stdout.write("Nothing to poll.")
            return
        rows = []
        for index, feed in enumerate(sources, start=1):
            self._progress(index - 1, len(sources), feed.name)
            rows.append(self._poll(feed))
        self._progress(len(sources), len(sources), "done")
        self._summary(rows)

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
        self.stdout.write(f"{len(rows)} polled, {len(rows) - len(failed)} fine, {len(failed)} failed.")
        for row in failed:
            self.stdout.write(self.style.WARNING(f"  {row.feed.name} (id {row.feed.pk}): {row.error}"))


def _reconnect_if_broken() -> None:
    """Drop a connection the failure left unusable so the next source reconnects (never inside a transaction)."""
    if not connection.in_atomic_block:
        connection.close_if_unusable_or_obsolete()
