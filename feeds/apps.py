from django.apps import AppConfig


class FeedsConfig(AppConfig):
    name = "feeds"
    verbose_name = "Sources"

    def ready(self):
        from feeds.websub import signals  # noqa: F401 - connects the unsubscribe-on-disable receivers
