from django.apps import AppConfig


class ArticlesConfig(AppConfig):
    name = "articles"
    verbose_name = "Posts and comments"

    def ready(self):
        from articles import signals
        from articles.models import Article

        signals.connect()
        # Django names the post-label link model "Article_labels object (121)" in delete confirmations.
        links = Article.labels.through
        links._meta.verbose_name = "label on a post"
        links.__str__ = lambda link: f"“{link.label}” on “{link.article}”"
