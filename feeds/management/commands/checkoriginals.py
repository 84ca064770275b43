"""manage.py checkoriginals [--post ID] [--dry-run]: re-check originals of recent posts by hand."""

from django.core.management.base import BaseCommand, CommandError
from django.template.defaultfilters import pluralize

from articles.models import Article
from feeds.originals import original_check, originals_check_due


class Command(BaseCommand):
    help = (
        "Re-check the original articles of recent posts that are due (as the worker does every minute), or of "
        "one post with --post; --dry-run asks but writes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--post", type=int, help="check this post's original now, whatever its schedule")
        parser.add_argument("--dry-run", action="store_true", help="report what the check finds; change nothing")

    def handle(self, *args, post=None, dry_run=False, **options):
        if post is not None:
            article = Article.objects.select_related("source").filter(pk=post).first()
            if article is None:
                raise CommandError(f"There is no post with id {post}.")
            checks = [original_check(article=article, dry_run=dry_run)]
        elif dry_run:
            raise CommandError("--dry-run needs --post: the scheduled run records each check as it goes.")
        else:
            checks = originals_check_due()
        for check in checks:
            self.stdout.write(str(check))
        self.stdout.write(f"{len(checks)} original{pluralize(len(checks))} checked{' (dry run)' if dry_run else ''}.")
