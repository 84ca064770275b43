"""`purgearticles`: old posts go, featured and still-popular ones stay."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from articles.models import Article, ArticleDailyViews, Comment
from tests.factories import ArticleDailyViewsFactory, ArticleFactory, CommentFactory

pytestmark = pytest.mark.django_db


def days_ago(days: int):
    return timezone.now() - timedelta(days=days)


@pytest.fixture
def newsroom():
    today = timezone.localdate()
    posts = {
        "recent": ArticleFactory(published_at=days_ago(2)),
        "old": ArticleFactory(published_at=days_ago(200)),
        "old_featured": ArticleFactory(published_at=days_ago(300), is_featured=True),
        "old_popular": ArticleFactory(published_at=days_ago(400)),
        "once_popular": ArticleFactory(published_at=days_ago(100)),
    }
    ArticleDailyViewsFactory(article=posts["old_popular"], date=today - timedelta(days=3), views=12)
    ArticleDailyViewsFactory(article=posts["once_popular"], date=today - timedelta(days=45), views=5000)
    CommentFactory(article=posts["old"])
    return posts


def run(*args: str) -> str:
    out = StringIO()
    call_command("purgearticles", *args, stdout=out)
    return out.getvalue()


def test_purge_keeps_recent_featured_and_still_popular_posts(newsroom, settings):
    settings.POPULAR_COUNT = 1
    output = run("--older-than", "90")
    remaining = set(Article.objects.values_list("pk", flat=True))
    assert remaining == {newsroom[name].pk for name in ("recent", "old_featured", "old_popular")}
    assert not Comment.objects.filter(article_id=newsroom["old"].pk).exists()
    assert not ArticleDailyViews.objects.filter(article_id=newsroom["once_popular"].pk).exists()
    assert "[##############################] 2/2" in output
    assert output.rstrip().endswith(
        "Deleted 2 posts published before " + _cutoff(90) + "; kept 1 featured and 1 still popular."
    )


def test_dry_run_deletes_nothing_and_says_what_it_would_do(newsroom, settings):
    settings.POPULAR_COUNT = 1
    output = run("--older-than", "90", "--dry-run")
    assert Article.objects.count() == 5
    assert "Dry run: would delete 2 posts" in output
    assert "Nothing was deleted." in output


def test_the_most_read_posts_of_the_month_stay_even_below_the_view_threshold(settings):
    settings.POPULAR_COUNT = 1
    top, other = ArticleFactory.create_batch(2, published_at=days_ago(100))
    ArticleDailyViewsFactory(article=top, views=3)
    ArticleDailyViewsFactory(article=other, views=1)
    run("--older-than", "30")
    assert list(Article.objects.all()) == [top]


def test_nothing_to_purge_is_said_plainly():
    ArticleFactory(published_at=days_ago(1))
    assert "Deleted 0 posts" in run("--older-than", "30")


def _cutoff(days: int) -> str:
    return f"{timezone.localtime(days_ago(days)):%Y-%m-%d}"
