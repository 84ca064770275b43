"""manage.py applyrules [--source ID] [--dry-run] [--re-extract]: apply sources' republishing rules to the posts
already stored."""

from django.core.management.base import BaseCommand, CommandError

from feeds.models import RulesRun, Source
from feeds.rules_apply import rules_preview, rules_run_execute, rules_run_start

BAR_WIDTH = 30


class Command(BaseCommand):
    help = "Hide the stored posts that sources' rules no longer take and show those they take again."

    def add_arguments(self, parser):
        parser.add_argument("--source", type=int, help="only this source (its id)")
        parser.add_argument("--dry-run", action="store_true", help="say what would change, change nothing")
        parser.add_argument(
            "--re-extract",
            action="store_true",
            help="also rebuild every post's text with the source's content mode and selectors (full text: fetch "
            "each article page again)",
        )

    def handle(self, *args, source: int | None, dry_run: bool, re_extract: bool, **options):
        sources = Source.objects.order_by("name")
        if source is not None:
            sources = sources.filter(pk=source)
            if not sources.exists():
                raise CommandError(f"No source with id {source}.")
        for each in sources:
            if dry_run:
                self._preview(each)
            else:
                self._apply(each, re_extract=re_extract)

    def _preview(self, source: Source) -> None:
        change = rules_preview(source=source, new={}, limit=None)
        self.stdout.write(
            f"{source.name}: {change.checked} posts, would hide {len(change.hide)}, show again {len(change.show)}, "
            f"keep {change.kept} as editors decided."
        )
        for verb, rows in (("hide", change.hide), ("show", change.show)):
            for pk, title in rows:
                self.stdout.write(f"  {verb} #{pk} {title}")

    def _apply(self, source: Source, *, re_extract: bool) -> None:
        run = rules_run_start(source=source, refresh=re_extract)
        rules_run_execute(run=run, on_progress=self._bar)
        self.stdout.write("")
        style = self.style.SUCCESS if run.state == RulesRun.State.DONE else self.style.WARNING
        self.stdout.write(
            style(
                f"{source.name}: {run.get_state_display().lower()}, {run.done} posts checked, {run.hidden} hidden, "
                f"{run.shown} shown again, {run.refreshed} re-extracted, {run.kept} kept as editors decided"
                + (f", {run.failed} could not be re-extracted:\n{run.error}" if run.failed else ".")
            )
        )

    def _bar(self, run: RulesRun) -> None:
        filled = BAR_WIDTH * run.done // max(run.total, 1)
        bar = "#" * filled + "-" * (BAR_WIDTH - filled)
        self.stdout.write(f"\r{run.source.name} [{bar}] {run.done}/{run.total}", ending="")
        self.stdout.flush()
