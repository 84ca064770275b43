import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import ArticleFactory, CommentFactory, LabelFactory, SourceFactory

# Our pages may use 7 queries; the popular-posts widget adds at most one more on a cache miss.
MAX_PAGE_QUERIES = 7


@pytest.fixture
def count_queries():
    """Fetch a URL with a client and return (response, number of SQL queries it cost)."""

    def fetch(client, url, **kwargs):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url, **kwargs)
        return response, len(queries)

    return fetch


@pytest.fixture
def populated_site():
    """Build n posts from two sources, all sharing labels and approved comments; returns one post."""

    def build(posts: int):
        sources = [SourceFactory(), SourceFactory()]
        labels = LabelFactory.create_batch(3)
        articles = [ArticleFactory(source=sources[index % 2]) for index in range(posts)]
        for article in articles:
            article.labels.set(labels)
        middle = articles[len(articles) // 2]
        CommentFactory.create_batch(min(posts, 20), article=middle)
        return middle

    return build
