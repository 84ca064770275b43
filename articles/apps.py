from django.apps import AppConfig


class ArticlesConfig(AppConfig):
    name = "articles"
    verbose_name = "Posts and comments"

    def ready(self):
        from articles import signals

        signals.connect()
