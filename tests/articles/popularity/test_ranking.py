"""popular(window, n) and trending(n): what ranks where."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from articles.models import Article
from articles.popularity import popular, trending
from articles.popularity.ranking import trending_weights
from tests.articles.popularity.helpers import viewed
from tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db


def titles(posts) -> list[str]:
    return [post.title for post in posts]


def test_the_7_day_window_is_today_and_the_six_days_before():
    viewed(ArticleFactory(title="today"), 3)
    viewed(ArticleFactory(title="six days ago"), 2, days_ago=6)
    viewed(ArticleFactory(title="seven days ago"), 50, days_ago=7)
    assert titles(popular("7d")) == ["today", "six days ago"]


def test_views_add_up_over_the_days_of_the_window():
    steady = viewed(viewed(ArticleFactory(title="steady"), 4, days_ago=1), 4, days_ago=3)
    viewed(ArticleFactory(title="one big day"), 7)
    assert titles(popular("7d")) == ["steady", "one big day"]
    assert popular("7d")[0].window_views == 8 == steady.total_views


def test_the_30_day_and_all_time_windows():
    viewed(ArticleFactory(title="recent"), 5, days_ago=2)
    viewed(ArticleFactory(title="last month"), 20, days_ago=25)
    old = ArticleFactory(title="old classic")
    Article.objects.filter(pk=old.pk).update(total_views=1000)
    assert titles(popular("7d")) == ["recent"]
    assert titles(popular("30d")) == ["last month", "recent"]
    assert titles(popular("all")) == ["old classic", "last month", "recent"]


def test_ties_go_to_the_newer_post():
    now = timezone.now()
    viewed(ArticleFactory(title="older", published_at=now - timedelta(days=3)), 5)
    viewed(ArticleFactory(title="newer", published_at=now - timedelta(days=1)), 5)
    viewed(ArticleFactory(title="oldest", published_at=now - timedelta(days=5)), 5)
    assert titles(popular("7d")) == ["newer", "older", "oldest"]
    assert titles(popular("all")) == ["newer", "older", "oldest"]


def test_only_published_posts_rank_and_n_limits_the_list():
    viewed(ArticleFactory(title="hidden", status=Article.Status.HIDDEN), 100)
    for views in range(1, 8):
        viewed(ArticleFactory(title=f"{views} views"), views)
    assert titles(popular("7d", 3)) == ["7 views", "6 views", "5 views"]
    assert "hidden" not in titles(popular("all", 10))


def test_posts_without_views_are_not_popular():
    ArticleFactory()
    assert popular("7d") == []
    assert popular("all") == []


def test_an_unknown_window_says_which_ones_exist():
    with pytest.raises(ValueError, match="7d, 30d, all"):
        popular("week")


@pytest.mark.parametrize("window", ["7d", "30d", "all"])
def test_popular_is_one_query_then_cached_for_60_seconds(window):
    for views in range(1, 20):
        viewed(ArticleFactory(), views, days_ago=views % 5)
    with CaptureQueriesContext(connection) as queries:
        first = popular(window)
    assert len(queries) == 1
    with CaptureQueriesContext(connection) as queries:
        assert popular(window) == first
    assert len(queries) == 0


def test_trending_prefers_what_is_read_now_over_what_was_big_days_ago():
    viewed(ArticleFactory(title="big three days ago"), 30, days_ago=3)
    viewed(ArticleFactory(title="hot today"), 10)
    viewed(ArticleFactory(title="yesterday"), 12, days_ago=1)
    assert titles(trending(3)) == ["hot today", "yesterday", "big three days ago"]
    assert titles(popular("7d")) == ["big three days ago", "yesterday", "hot today"]


def test_trending_weight_halves_each_day():
    weights = trending_weights(timezone.now())
    days = sorted(weights, reverse=True)
    for newer, older in zip(days[1:], days[2:], strict=False):
        assert weights[older] == pytest.approx(weights[newer] / 2)
    assert 0.5 <= weights[days[0]] <= 1


def test_trending_is_one_query_then_cached():
    viewed(ArticleFactory(), 3)
    with CaptureQueriesContext(connection) as queries:
        trending(5)
        trending(5)
    assert len(queries) == 1
