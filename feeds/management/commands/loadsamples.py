"""manage.py loadsamples: load the bundled sample feeds (idempotent and quick; `make run` calls it at every start)."""

from django.core.management.base import BaseCommand

from feeds.samples import SAMPLES, sample_load


class Command(BaseCommand):
    help = "Load the bundled sample feeds through parse, sanitize and store, so a fresh site has posts."

    def handle(self, *args, **options):
        for sample in SAMPLES:
            source, stored = sample_load(sample=sample)
            if stored is None:
                self.stdout.write(f"{source.name}: unchanged")
            else:
                self.stdout.write(f"{source.name}: {stored.new} new, {stored.updated} updated")
