from django.core.management.base import BaseCommand, CommandError

from articles.popularity import counter_status, flush_views


class Command(BaseCommand):
    help = "Move the view counts waiting in Redis into the database now (beat does it every minute)."

    def handle(self, *args, **options):
        status = counter_status()
        if status == "embedded":
            self.stdout.write("No REDIS_URL: views are written to the database as they happen; nothing to flush.")
            return
        if status != "ok":
            raise CommandError(f"The view counter Redis is {status}; nothing was flushed, no view was lost.")
        result = flush_views()
        self.stdout.write(
            f"Flushed {result.views} views into {result.rows} daily rows "
            f"({result.batches} batches; {result.already_applied} already committed by a stopped flush)."
        )
