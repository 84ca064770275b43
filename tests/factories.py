"""factory_boy factories for the models; every test builds its data through these."""

from datetime import timedelta

import factory
from django.utils import timezone

from articles.models import Article, ArticleDailyViews, Comment, Label
from feeds.models import FetchAttempt, Source


class SourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Source

    name = factory.Sequence(lambda n: f"Source {n}")
    slug = factory.Sequence(lambda n: f"source-{n}")
    feed_url = factory.Sequence(lambda n: f"https://source{n}.example.com/feed.xml")
    site_url = factory.Sequence(lambda n: f"https://source{n}.example.com/")


class LabelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Label

    name = factory.Sequence(lambda n: f"topic {n}")
    slug = factory.Sequence(lambda n: f"topic-{n}")


class ArticleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Article

    source = factory.SubFactory(SourceFactory)
    guid = factory.Sequence(lambda n: f"urn:uuid:entry-{n}")
    url = factory.Sequence(lambda n: f"https://news.example.com/story/{n}")
    title = factory.Sequence(lambda n: f"Story number {n}")
    slug = factory.Sequence(lambda n: f"story-number-{n}")
    author = "A. Reporter"
    body_html = "<p>The first paragraph of the story.</p><p>The second paragraph.</p>"
    excerpt = "The first paragraph of the story. The second paragraph."
    published_at = factory.Sequence(lambda n: timezone.now() - timedelta(hours=n + 1))


class CommentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Comment

    article = factory.SubFactory(ArticleFactory)
    author_name = "Reader"
    body = "A thoughtful comment."
    status = Comment.Status.APPROVED


class ArticleDailyViewsFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ArticleDailyViews

    article = factory.SubFactory(ArticleFactory)
    date = factory.LazyFunction(timezone.localdate)
    views = 10
    unique_visitors = 7


class FetchAttemptFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FetchAttempt

    source = factory.SubFactory(SourceFactory)
    duration_ms = 120
    http_status = 200
    outcome = FetchAttempt.Outcome.OK
