"""Counting views with Redis gone (a closed port, no server needed): pages render, views are dropped."""

import logging

import pytest
from django.core.management import CommandError, call_command

from articles.popularity import counter, counter_status, outage, view_record
from tests.articles.popularity.helpers import CLOSED_REDIS_URL, reader, reader_headers, totals
from tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db


class TestRedisDown:
    """Redis gone: pages still render, the view is dropped, one warning a minute; the flush waits."""

    @pytest.fixture(autouse=True)
    def _redis_down(self, settings):
        settings.REDIS_URL = CLOSED_REDIS_URL
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": CLOSED_REDIS_URL,
                "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
            }
        }
        outage.outage.reset()
        yield
        outage.outage.reset()

    def test_post_page_home_and_trending_still_answer_200(self, client):
        article = ArticleFactory()
        assert client.get(article.get_absolute_url(), **reader_headers(1)).status_code == 200
        assert client.get("/", **reader_headers(1)).status_code == 200
        assert client.get("/trending/", **reader_headers(1)).status_code == 200

    def test_views_are_dropped_with_one_warning_a_minute(self, client, caplog):
        article = ArticleFactory()
        with caplog.at_level(logging.WARNING, logger="articles.popularity.outage"):
            for number in range(5):
                assert client.get(article.get_absolute_url(), **reader_headers(number)).status_code == 200
        warnings = [r for r in caplog.records if r.name == "articles.popularity.outage"]
        assert len(warnings) == 1
        assert "unreachable" in warnings[0].getMessage()
        assert totals(article) == (0, 0, 0)

    def test_after_a_failure_redis_is_left_alone_for_a_few_seconds(self, monkeypatch):
        article = ArticleFactory()
        view_record(request=reader(1), article_id=article.pk)
        monkeypatch.setattr(counter, "record", pytest.fail)
        view_record(request=reader(2), article_id=article.pk)

    def test_the_warning_repeats_after_a_minute(self, monkeypatch, caplog):
        clock = [1000.0]
        monkeypatch.setattr(outage.time, "monotonic", lambda: clock[0])
        with caplog.at_level(logging.WARNING, logger="articles.popularity.outage"):
            for seconds in (0, 10, 30, 59, 61, 90):
                clock[0] = 1000.0 + seconds
                outage.outage.failed(ConnectionError("refused"))
        assert len([r for r in caplog.records if r.name == "articles.popularity.outage"]) == 2

    def test_health_shows_the_counter_down(self):
        assert counter_status().startswith("down: ")

    def test_the_flushviews_command_says_redis_is_down(self):
        with pytest.raises(CommandError, match="down"):
            call_command("flushviews")

    def test_the_flush_task_waits_for_redis_without_failing(self, caplog):
        from articles.tasks import flush_views as flush_task

        flush_task.delay()
        assert "Redis unreachable" in caplog.text
