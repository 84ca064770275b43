from django.apps import AppConfig
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class ArticlesConfig(AppConfig):
    name = "articles"
    verbose_name = "Posts and comments"

    def ready(self):
        from articles import signals
        from articles.models import Article
        from articles.popularity.ranking import WINDOW_DAYS

        if settings.POPULAR_WINDOW not in WINDOW_DAYS:
            windows = ", ".join(WINDOW_DAYS)
            raise ImproperlyConfigured(f"POPULAR_WINDOW={settings.POPULAR_WINDOW!r} is not a window; use {windows}.")
        signals.connect()
        # Django names the post-label link model "Article_labels object (121)" in delete confirmations.
        links = Article.labels.through
        links._meta.verbose_name = "label on a post"
        links.__str__ = lambda link: f"“{link.label}” on “{link.article}”"
