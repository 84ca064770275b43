from datetime import UTC, datetime

import pytest
from django.db import IntegrityError, transaction

from articles.models import Article, Comment
from tests.factories import ArticleFactory, CommentFactory

pytestmark = pytest.mark.django_db


def test_duplicate_guid_for_one_source_is_rejected():
    article = ArticleFactory(guid="urn:same")
    with pytest.raises(IntegrityError), transaction.atomic():
        ArticleFactory(source=article.source, guid="urn:same")
    assert Article.objects.filter(guid="urn:same").count() == 1


def test_same_guid_under_two_sources_is_fine():
    ArticleFactory(guid="urn:shared")
    ArticleFactory(guid="urn:shared")
    assert Article.objects.filter(guid="urn:shared").count() == 2


def test_slug_is_unique_within_a_month_but_free_across_months():
    ArticleFactory(slug="big-news", published_at=datetime(2026, 3, 5, tzinfo=UTC))
    ArticleFactory(slug="big-news", published_at=datetime(2026, 4, 5, tzinfo=UTC))
    with pytest.raises(IntegrityError), transaction.atomic():
        ArticleFactory(slug="big-news", published_at=datetime(2026, 3, 20, tzinfo=UTC))


def test_public_url_is_year_month_slug_and_stays_when_the_date_moves():
    article = ArticleFactory(slug="big-news", published_at=datetime(2026, 3, 5, tzinfo=UTC))
    assert article.get_absolute_url() == "/2026/03/big-news.html"
    article.published_at = datetime(2026, 7, 1, tzinfo=UTC)
    article.save()
    article.refresh_from_db()
    assert article.get_absolute_url() == "/2026/03/big-news.html"


def test_published_queryset_leaves_hidden_posts_out():
    shown = ArticleFactory()
    ArticleFactory(status=Article.Status.HIDDEN)
    assert list(Article.objects.published()) == [shown]


def test_approved_queryset_leaves_pending_and_spam_out():
    approved = CommentFactory()
    CommentFactory(article=approved.article, status=Comment.Status.PENDING)
    CommentFactory(article=approved.article, status=Comment.Status.SPAM)
    assert list(approved.article.comments.approved()) == [approved]
