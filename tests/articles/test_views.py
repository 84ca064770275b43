import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from articles.models import Article
from tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db


def test_home_lists_published_posts_newest_first(client):
    older = ArticleFactory(title="Older story")
    newer = ArticleFactory(
        title="Newer story", published_at=older.published_at.replace(year=older.published_at.year + 1)
    )
    ArticleFactory(title="Hidden story", status=Article.Status.HIDDEN)
    page = client.get("/").content.decode()
    assert page.index("Newer story") < page.index("Older story")
    assert "Hidden story" not in page
    assert newer.get_absolute_url() in page


@pytest.mark.parametrize("posts", [1, 100])
def test_home_costs_the_same_queries_whatever_the_number_of_posts(client, posts):
    ArticleFactory.create_batch(posts)
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/").status_code == 200
    assert len(queries) <= 3  # count and page, plus the popular-posts widget on its cold cache


@pytest.mark.parametrize("page", ["2", "0", "abc", "-1"])
def test_out_of_range_or_malformed_page_is_a_404(client, page):
    ArticleFactory()
    assert client.get("/", {"page": page}).status_code == 404


def test_post_page_shows_the_attribution_line(client):
    article = ArticleFactory(title="Xi meets Blinken", url="https://ift.tt/1gBO6wd")
    page = client.get(article.get_absolute_url()).content.decode()
    assert "Xi meets Blinken" in page
    assert f'from {article.source.name} <a href="https://ift.tt/1gBO6wd">https://ift.tt/1gBO6wd</a>' in page


def test_hidden_post_page_is_a_404(client):
    article = ArticleFactory(status=Article.Status.HIDDEN)
    assert client.get(article.get_absolute_url()).status_code == 404
