from datetime import timedelta

import pytest
from django.contrib.postgres.search import SearchQuery
from django.db import connection
from django.utils import timezone

from articles.models import Article
from articles.search import highlighted_snippet, search_articles
from articles.search_document import SEARCH_CONFIG
from tests.articles.conftest import MAX_PAGE_QUERIES
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
def test_postgres_search_matches_on_the_stored_document_through_the_gin_index():
    ArticleFactory.create_batch(5)
    terms = SearchQuery("trade", search_type="websearch", config=SEARCH_CONFIG)
    sql, params = Article.objects.filter(search_document=terms).query.sql_with_params()
    with connection.cursor() as cursor:
        # With five rows a table scan is cheapest; forbid it to see that the index is on the stored column.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "article_search_idx" in plan
    assert "to_tsvector" not in plan


@pytest.mark.postgres
def test_postgres_ranking_reads_the_stored_document_instead_of_parsing_every_post():
    sql = str(search_articles("trade").query)
    assert 'ts_rank("articles_article"."search_document"' in sql
    assert "to_tsvector" not in sql


def _matching_posts(count: int) -> list:
    """`count` posts saying "trade", newest first; only the oldest has it in its title, which ranks highest."""
    now = timezone.now()
    posts = [
        ArticleFactory(title=f"Report {n}", excerpt="Talk of trade.", published_at=now - timedelta(hours=n))
        for n in range(count - 1)
    ]
    return [*posts, ArticleFactory(title="Trade deal", published_at=now - timedelta(days=30))]


def test_broad_search_ranks_only_the_newest_matches_and_says_more_were_found(client, monkeypatch, count_queries):
    monkeypatch.setattr("articles.search.RANKED_MATCHES", 3)
    posts = _matching_posts(5)
    response, queries = count_queries(client, "/search?q=trade")
    page = main_column(response)
    assert "More than 3 posts found" in page
    assert all(post.title in page for post in posts[:3])
    assert posts[3].title not in page and "Trade deal" not in page
    assert queries <= MAX_PAGE_QUERIES
    assert client.get("/search", {"q": "trade", "page": 2}).status_code == 404


@pytest.mark.postgres  # the title match ranking first is PostgreSQL's ranking
def test_search_up_to_the_cap_counts_every_match(client, monkeypatch):
    monkeypatch.setattr("articles.search.RANKED_MATCHES", 5)
    _matching_posts(5)
    page = main_column(client.get("/search", {"q": "trade"}))
    assert "5 posts found" in page and "More than" not in page
    assert page.index("Trade deal") < page.index("Report 0")


def test_sqlite_fallback_snippets_start_and_end_on_whole_words():
    words = ["harbour", "morning", "ferry", "leaves", "pier", "early", "and", "late", "with", "freight"]
    text = " ".join(words * 6 + ["returns"] + words * 6)  # "returns" 360 characters in, the snippet cut both ends
    post = ArticleFactory.build(excerpt=text)
    snippet = str(highlighted_snippet(post, "returns"))
    assert snippet.startswith("…") and snippet.endswith("…")
    inner = snippet.strip("…").replace("<mark>", "").replace("</mark>", "")
    assert inner.split()[0] in words and inner.split()[-1] in words + ["returns"]
    assert text.find(inner) > 0
    assert "<mark>returns</mark>" in snippet
    short = ArticleFactory.build(excerpt="The morning ferry returns late.")
    assert str(highlighted_snippet(short, "ferry")) == "The morning <mark>ferry</mark> returns late."
