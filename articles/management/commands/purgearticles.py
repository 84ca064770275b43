"""`python manage.py purgearticles --older-than DAYS [--dry-run]`: remove old posts, keeping what readers still want."""

import sys
from datetime import timedelta

from django.core.management.base import BaseCommand
from django.utils import timezone

from articles.models import Article
from articles.retention import POPULAR_MIN_VIEWS, POPULAR_WINDOW_DAYS, article_purge, purge_candidates

BAR_WIDTH = 30


class Command(BaseCommand):
    help = (
        "Delete posts published more than DAYS days ago, with their comments and view counts. Featured posts "
        f"and posts still popular (at least --min-views views in the last {POPULAR_WINDOW_DAYS} days, or among "
        "the most read of that window) are kept."
    )

    def add_arguments(self, parser):
        parser.add_argument("--older-than", type=int, required=True, metavar="DAYS", dest="days")
        parser.add_argument("--dry-run", action="store_true", help="Only say what would be deleted.")
        parser.add_argument("--min-views", type=int, default=POPULAR_MIN_VIEWS)

    def handle(self, *args, days, dry_run, min_views, **options):
        if days < 1:
            self.stderr.write("--older-than must be at least 1 day.")
            sys.exit(2)
        cutoff = timezone.now() - timedelta(days=days)
        old = Article.objects.filter(published_at__lt=cutoff)
        featured = old.filter(is_featured=True).count()
        ids = list(purge_candidates(older_than_days=days, min_views=min_views).values_list("id", flat=True))
        popular = old.count() - featured - len(ids)
        kept = f"kept {featured} featured and {popular} still popular"
        when = f"published before {timezone.localtime(cutoff):%Y-%m-%d}"
        if dry_run:
            self.stdout.write(f"Dry run: would delete {len(ids)} posts {when}; {kept}. Nothing was deleted.")
            return
        deleted = article_purge(ids=ids, on_batch=lambda done: self._progress(done, len(ids)))
        if ids and self.stdout.isatty():
            self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"Deleted {deleted} posts {when}; {kept}."))

    def _progress(self, done: int, total: int) -> None:
        filled = BAR_WIDTH * done // total
        bar = f"[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {done}/{total}"
        # On a terminal the bar redraws in place; in a log each batch is its own line.
        self.stdout.write(f"\r{bar}" if self.stdout.isatty() else bar, ending="" if self.stdout.isatty() else "\n")
