"""manage.py mergestories [--since DAYS] [--dry-run]: build stories among posts already stored."""

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError

from feeds.management.progress import progress_bar
from feeds.story_backfill import stories_backfill


class Command(BaseCommand):
    help = "Join posts stored before story identity to their stories (same URL or near-duplicate text)."

    def add_arguments(self, parser):
        parser.add_argument("--since", type=int, metavar="DAYS", help="only posts published in the last DAYS days")
        parser.add_argument("--dry-run", action="store_true", help="say what would merge, change nothing")

    def handle(self, *args, since=None, dry_run=False, **options):
        if since is not None and since < 1:
            raise CommandError("--since takes a number of days, 1 or more.")
        result = stories_backfill(
            since=timedelta(days=since) if since else None,
            dry_run=dry_run,
            progress=lambda done, total: progress_bar(self.stderr, done, total, "posts"),
        )
        verb = "would become" if dry_run else "became"
        self.stdout.write(f"{result.posts} posts looked at; {result.copies} {verb} copies in a story.")
