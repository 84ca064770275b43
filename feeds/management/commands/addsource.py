"""manage.py addsource URL [--name NAME] [--interval MINUTES]: check a feed by fetching it once, then add it."""

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from feeds.services import feed_probe, source_create


def minutes(value: str) -> int:
    number = int(value)
    if not 5 <= number <= 1440:
        raise ValueError(value)
    return number


class Command(BaseCommand):
    help = "Add an upstream feed (or a web page that links to one) as a source, after fetching it once."

    def add_arguments(self, parser):
        parser.add_argument("url", help="the feed's address, or a web page that links to its feed")
        parser.add_argument("--name", default="", help="the source's name (default: the feed's title)")
        parser.add_argument(
            "--interval", type=minutes, default=None, help="minutes between polls, 5-1440 (default: adaptive)"
        )

    def handle(self, *args, url: str, name: str, interval: int | None, **options):
        self.stdout.write(f"Fetching {url} ...")
        probe = feed_probe(url=url)
        if probe.error and not probe.title:
            raise CommandError(probe.error)
        if probe.discovered:
            self.stdout.write(f"That is a web page; it links to the feed {probe.feed_url}")
        self.stdout.write(f"Feed: {probe.title or '(untitled)'} with {probe.entry_count} entries.")
        if probe.error:
            self.stdout.write(self.style.WARNING(probe.error))
        try:
            source = source_create(
                feed_url=probe.feed_url,
                name=name or probe.title,
                site_url=probe.site_url,
                poll_interval_minutes=interval,
            )
        except ValueError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(self.style.SUCCESS(f'Added source {source.pk} "{source.name}"; {_first_poll(source)}.'))


def _first_poll(source) -> str:
    """When the first poll comes: sources added together are spread over their interval (feeds/spread.py)."""
    wait = source.next_poll_at - timezone.now()
    if wait < timedelta(minutes=1):
        return "it is polled within a minute"
    first = timezone.localtime(source.next_poll_at)
    return f"its first poll is at {first:%H:%M}, spread from the sources added with it"
