"""Counting views in the embedded default: no Redis, the daily row written at once with F()."""

import pytest
from django.core.cache import caches
from django.core.management import call_command

from articles.popularity import counter_status, flush_views, view_record
from articles.popularity.visitors import visitor_hash
from tests.articles.popularity.helpers import reader, reader_headers, rotate_user_agents, totals
from tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db


class TestEmbeddedDefault:
    """Without Redis the same interface writes the daily row directly, deduplicated through the cache."""

    @pytest.fixture(autouse=True)
    def _embedded(self, settings):
        settings.REDIS_URL = ""
        settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
        # Local memory outlives the test, and SQLite reuses a rolled-back post's id: start empty.
        caches["default"].clear()

    def test_views_land_in_the_database_at_once_deduplicated(self, client):
        article = ArticleFactory()
        for number in (1, 1, 2, 3):
            assert client.get(article.get_absolute_url(), **reader_headers(number)).status_code == 200
        assert totals(article) == (3, 3, 3)

    def test_one_address_rotating_its_user_agent_counts_three_views_per_post_and_window(self, client):
        article = ArticleFactory()
        rotate_user_agents(client, article, 25)
        assert totals(article)[0] == 3

    def test_bots_count_nothing_and_there_is_nothing_to_flush(self, client):
        article = ArticleFactory()
        client.get(article.get_absolute_url(), REMOTE_ADDR="10.0.0.1", HTTP_USER_AGENT="Googlebot/2.1")
        assert flush_views().embedded
        assert totals(article) == (0, 0, 0)
        assert counter_status() == "embedded"

    def test_the_flushviews_command_explains_there_is_nothing_to_flush(self, capsys):
        call_command("flushviews")
        assert "nothing to flush" in capsys.readouterr().out

    def test_a_visitor_back_after_the_dedupe_is_another_view_but_not_another_visitor(self):
        from django.core.cache import cache

        article = ArticleFactory()
        view_record(request=reader(1), article_id=article.pk)
        cache.delete(f"views:seen:{article.pk}:{visitor_hash(reader(1))}")  # as if 30 minutes had passed
        view_record(request=reader(1), article_id=article.pk)
        assert totals(article) == (2, 2, 1)
