from django.apps import AppConfig


class FeedsConfig(AppConfig):
    name = "feeds"
    verbose_name = "Sources"

    def ready(self) -> None:
        # Once per process, before any poll: feedparser reads through our buffered expat driver (sax.py says why).
        from feeds.ingest import sax

        sax.install()
        from feeds.websub import signals  # noqa: F401 - connects the unsubscribe-on-disable receivers
