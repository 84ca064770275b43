"""manage.py pollfeeds --all | --due | --source ID ...: poll in this process, no worker needed."""

import time

from django.core.management.base import BaseCommand, CommandError

from feeds.models import FetchAttempt, Source
from feeds.services import feed_poll

BAR_WIDTH = 30


class Command(BaseCommand):
    help = "Poll feeds synchronously in this process and print a summary. Failing feeds are reported, not fatal."

    def add_arguments(self, parser):
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("--all", action="store_true", help="every active source")
        which.add_argument("--due", action="store_true", help="active sources whose next poll time has come")
        which.add_argument("--source", type=int, nargs="+", metavar="ID", help="these sources (by id)")

    def handle(self, *args, all: bool, due: bool, source: list[int] | None, **options):  # noqa: A002
        sources = list(self._sources(all, due, source))
        if not sources:
            self.stdout.write("Nothing to poll.")
            return
        rows = []
        for index, feed in enumerate(sources, start=1):
            self._progress(index - 1, len(sources), feed.name)
            started = time.monotonic()
            attempt = feed_poll(source=feed)
            rows.append((feed, attempt, time.monotonic() - started))
        self._progress(len(sources), len(sources), "done")
        self._summary(rows)

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
        filled = BAR_WIDTH * done // total
        bar = "#" * filled + "." * (BAR_WIDTH - filled)
        line = f"[{bar}] {done}/{total} {label[:40]}"
        if self.stderr.isatty():
            self.stderr.write(f"\r{line:<80}", ending="\n" if done == total else "")
        else:
            self.stderr.write(line)

    def _summary(self, rows: list[tuple[Source, FetchAttempt, float]]) -> None:
        width = max([len("source")] + [len(feed.name[:40]) for feed, _a, _t in rows])
        self.stdout.write(f"{'source':<{width}}  {'outcome':<12}  {'new':>5}  {'updated':>7}  {'time':>7}")
        for feed, attempt, seconds in rows:
            outcome = attempt.get_outcome_display()
            line = f"{feed.name[:40]:<{width}}  {outcome:<12}  {attempt.entries_new:>5}  {attempt.entries_updated:>7}"
            self.stdout.write(f"{line}  {seconds:>6.2f}s")
        failed = [(feed, attempt) for feed, attempt, _t in rows if attempt.outcome == FetchAttempt.Outcome.ERROR]
        self.stdout.write(f"{len(rows)} polled, {len(rows) - len(failed)} fine, {len(failed)} failed.")
        for feed, attempt in failed:
            self.stdout.write(self.style.WARNING(f"  {feed.name} (id {feed.pk}): {attempt.error}"))
