"""The stored search document and the plain fallback search of the embedded SQLite default."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from articles.models import Article
from articles.search import search_articles
from tests.factories import ArticleFactory

PROJECT = Path(__file__).resolve().parents[2]


def _stored_document(post: Article) -> str:
    return Article.objects.values_list("search_document", flat=True).get(pk=post.pk)


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_stored_document_weights_the_title_above_the_excerpt():
    post = ArticleFactory(title="Harbour reopens", excerpt="Ferries sail again.")
    document = _stored_document(post)
    assert "'harbour':1A" in document and "'reopen':2A" in document
    assert "'ferri':3B" in document and "'sail':4B" in document


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_stored_document_follows_title_and_excerpt_changes():
    post = ArticleFactory(title="Harbour reopens", excerpt="Ferries sail again.")
    post.title = "Lighthouse restored"
    post.save()
    Article.objects.filter(pk=post.pk).update(excerpt="Keepers return to the island.")
    assert "harbour" not in _stored_document(post)
    assert [found.pk for found in search_articles("lighthouse")] == [post.pk]
    assert [found.pk for found in search_articles("keeper")] == [post.pk]
    assert list(search_articles("ferries")) == []


SQLITE_SEARCH = """
import json
import django
from django.core.management import call_command
from django.test import Client

django.setup()
call_command("migrate", verbosity=0)
from articles.models import Article
from articles.search import SearchPaginator, search_articles
from tests.factories import ArticleFactory

ArticleFactory(title="Blinken meets Xi", excerpt="Talks on trade lasted five hours.")
ArticleFactory(title="Weather", excerpt="Rain <b>tomorrow</b>.")
page = Client(HTTP_HOST="127.0.0.1").get("/search", {"q": "trade"}).content.decode()
print(json.dumps({
    "titles": [post.title for post in search_articles("TRADE")],
    "found": SearchPaginator("rain", per_page=20).found,
    "documents": list(Article.objects.values_list("search_document", flat=True)),
    "page": page[page.index("<main") : page.index("</main>")],
}))
"""


def test_the_sqlite_default_searches_without_a_stored_document(tmp_path):
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "DATABASE_URL", "REDIS_"))}
    env.update(DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}", DJANGO_SETTINGS_MODULE="newsblog.settings")
    run = subprocess.run(
        [sys.executable, "-c", SQLITE_SEARCH], cwd=PROJECT, env=env, capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout.splitlines()[-1])
    assert result["titles"] == ["Blinken meets Xi"]
    assert result["found"] == 1
    assert result["documents"] == [None, None]
    assert "1 post found" in result["page"] and "<mark>trade</mark>" in result["page"]
