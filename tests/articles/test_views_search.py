import pytest
from django.contrib.postgres.search import SearchQuery
from django.db import connection

from articles.models import Article
from articles.search import SEARCH_CONFIG, highlighted_snippet, search_articles, search_vector
from tests.articles.pages import main_column
from tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db


def _stories():
    ArticleFactory(title="Blinken meets Xi in Beijing", excerpt="Talks on trade and Taiwan lasted five hours.")
    ArticleFactory(title="Markets rally", excerpt="Shares rose after Blinken spoke about trade.")
    ArticleFactory(title="Weather", excerpt="Rain tomorrow <b>everywhere</b>.")


def test_search_finds_posts_by_title_and_text_with_highlighted_snippets(client):
    _stories()
    page = main_column(client.get("/search", {"q": "trade"}))
    assert "2 posts found" in page
    assert "Blinken meets Xi" in page and "Markets rally" in page and "Weather" not in page
    assert "<mark>trade</mark>" in page


def test_search_snippets_are_escaped(client):
    _stories()
    page = client.get("/search", {"q": "rain"}).content.decode()
    assert "<mark>Rain</mark>" in page
    assert "<b>everywhere" not in page


def test_empty_search_asks_for_words(client):
    response = client.get("/search", {"q": "   "})
    assert response.status_code == 200
    assert "Type some words" in response.content.decode()


def test_over_long_search_is_refused_politely(client):
    response = client.get("/search", {"q": "word " * 100})
    assert response.status_code == 200
    assert "too long" in response.content.decode()


def test_search_with_operators_and_punctuation_does_not_fail(client):
    _stories()
    for query in ['"Blinken meets"', "-trade OR rain", "(((", "trade & !!", "' or 1=1 --"]:
        assert client.get("/search", {"q": query}).status_code == 200, query


def test_no_results_says_so(client):
    _stories()
    assert "No posts match" in client.get("/search", {"q": "zebra"}).content.decode()


@pytest.mark.postgres
def test_postgres_ranks_title_matches_above_text_matches():
    _stories()
    titles = [post.title for post in search_articles("Blinken")]
    assert titles == ["Blinken meets Xi in Beijing", "Markets rally"]


@pytest.mark.postgres
def test_postgres_search_stems_words():
    _stories()
    post = search_articles("talk")[0]
    assert post.title == "Blinken meets Xi in Beijing"
    assert "<mark>Talks</mark>" in highlighted_snippet(post, "talk")


@pytest.mark.postgres
def test_postgres_search_uses_the_gin_index():
    ArticleFactory.create_batch(5)
    terms = SearchQuery("trade", search_type="websearch", config=SEARCH_CONFIG)
    matching = Article.objects.alias(document=search_vector()).filter(document=terms)
    sql, params = matching.query.sql_with_params()
    with connection.cursor() as cursor:
        # With five rows a table scan is cheapest; forbid it to see that the index matches the expression.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "article_search_idx" in plan
