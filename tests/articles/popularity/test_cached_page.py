"""A cached post page: read and counted in one Redis round trip, with the real Redis and PostgreSQL."""

import re

import pytest
import redis
from django.core.cache import cache
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from articles.models import Article
from articles.pagecache import (
    POST_PAGE_SCRIPT_KEYS,
    POST_PAGE_SCRIPT_LOCALS,
    page_cache_invalidate,
    page_from_redis,
    post_page_redis_keys,
)
from articles.popularity import flush_views
from articles.popularity.counter import CACHED_PAGE_LUA, record_cached_page
from articles.popularity.outage import outage
from tests.articles.popularity.helpers import CLOSED_REDIS_URL, counter, reader_headers, totals
from tests.factories import ArticleFactory

pytestmark = [pytest.mark.django_db, pytest.mark.redis]


@pytest.fixture
def round_trips(monkeypatch):
    """Every Redis round trip any client makes from now on: a command's name, or "PIPELINE"."""
    sent = []
    execute_command = redis.Redis.execute_command
    execute_pipeline = redis.client.Pipeline.execute

    def command(self, *args, **options):
        sent.append(args[0])
        return execute_command(self, *args, **options)

    def pipeline(self, *args, **options):
        sent.append("PIPELINE")
        return execute_pipeline(self, *args, **options)

    monkeypatch.setattr(redis.Redis, "execute_command", command)
    monkeypatch.setattr(redis.client.Pipeline, "execute", pipeline)
    return sent


@pytest.fixture
def cached_post(client):
    """A post whose page reader 1 has seen (rendered, cached and counted) and reader 2 has had from the cache."""
    article = ArticleFactory()
    for number in (1, 2):  # the second loads the script into Redis
        assert client.get(article.get_absolute_url(), **reader_headers(number)).status_code == 200
    return article


def test_a_cached_post_page_is_one_redis_round_trip_no_sql_and_one_view(client, cached_post, round_trips):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(cached_post.get_absolute_url(), **reader_headers(3))
    assert response.status_code == 200
    assert cached_post.title in response.content.decode()
    assert round_trips == ["EVALSHA"]
    assert len(queries) == 0
    flush_views()
    assert totals(cached_post) == (3, 3, 3)


def test_the_cached_page_keeps_its_csrf_placeholder_swapped_for_the_readers_token(client, cached_post):
    response = client.get(cached_post.get_absolute_url(), **reader_headers(3))
    assert response.cookies["csrftoken"].value
    assert b"csrf-token-placeholder" not in response.content


def test_a_visitor_is_deduplicated_across_the_rendered_and_the_cached_page(client, cached_post):
    for _ in range(3):
        client.get(cached_post.get_absolute_url(), **reader_headers(1))
    flush_views()
    assert totals(cached_post) == (2, 2, 2)


def test_a_page_of_an_older_generation_is_not_served_and_the_view_counts_once_after_the_render(
    client, cached_post, round_trips
):
    Article.objects.filter(pk=cached_post.pk).update(title="A corrected headline")
    page_cache_invalidate()
    response = client.get(cached_post.get_absolute_url(), **reader_headers(3))
    assert "A corrected headline" in response.content.decode()
    assert round_trips.count("EVALSHA") == 2  # the script that found no current page, then the middleware's count
    flush_views()
    assert totals(cached_post) == (3, 3, 3)
    response = client.get(cached_post.get_absolute_url(), **reader_headers(4))
    assert "A corrected headline" in response.content.decode()
    flush_views()
    assert totals(cached_post) == (4, 4, 4)


def test_head_and_bot_requests_of_a_cached_post_page_are_served_but_not_counted(client, cached_post):
    assert client.head(cached_post.get_absolute_url(), **reader_headers(3)).status_code == 200
    bot = {"REMOTE_ADDR": "10.9.9.9", "HTTP_USER_AGENT": "Googlebot/2.1"}
    assert client.get(cached_post.get_absolute_url(), **bot).status_code == 200
    assert (
        client.get(cached_post.get_absolute_url(), HTTP_SEC_PURPOSE="prefetch", **reader_headers(4)).status_code == 200
    )
    flush_views()
    assert totals(cached_post) == (2, 2, 2)


def test_with_redis_down_the_post_page_is_served_and_each_view_is_dropped_once(client, settings):
    article = ArticleFactory()
    settings.REDIS_URL = CLOSED_REDIS_URL
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CLOSED_REDIS_URL}
    }
    outage.reset()
    try:
        for number in range(3):
            assert client.get(article.get_absolute_url(), **reader_headers(number)).status_code == 200
        assert outage.dropped == 3
    finally:
        outage.reset()


def test_a_post_page_cached_without_its_generation_beside_it_is_rendered_again_then_served_in_one_trip(
    client, cached_post, round_trips
):
    generation_key = post_page_redis_keys(RequestFactory().get(cached_post.get_absolute_url()))[1]
    counter().delete(generation_key)  # as an older release stored the page
    assert client.get(cached_post.get_absolute_url(), **reader_headers(3)).status_code == 200
    round_trips.clear()
    assert client.get(cached_post.get_absolute_url(), **reader_headers(4)).status_code == 200
    assert round_trips == ["EVALSHA"]
    flush_views()
    assert totals(cached_post) == (4, 4, 4)


def test_the_script_binds_every_page_key_by_the_name_the_page_cache_gives_it():
    # The script reads the page's keys only through the locals POST_PAGE_SCRIPT_LOCALS binds: a key the page cache
    # adds, drops or moves changes those names, and a script that reads KEYS[n] itself or leaves a key unread fails.
    body = CACHED_PAGE_LUA.split(POST_PAGE_SCRIPT_LOCALS, 1)[1]
    assert re.findall(r"KEYS\[\d+\]", body) == [f"KEYS[{len(POST_PAGE_SCRIPT_KEYS) + 1}]"]  # the pending counts
    for name in POST_PAGE_SCRIPT_KEYS:
        assert re.search(rf"\b{name}\b", body), f"the script never reads {name}"


def test_the_page_the_script_returns_is_the_one_the_page_cache_stored(client, cached_post):
    request = RequestFactory().get(cached_post.get_absolute_url())
    keys = dict(zip(POST_PAGE_SCRIPT_KEYS, post_page_redis_keys(request), strict=True))
    stored = counter()
    assert int(stored.get(keys["page_article"])) == cached_post.pk
    assert stored.get(keys["page_epoch"]) is not None and stored.get(keys["page_generation"]) is not None
    # Django's own reading of the entry and ours (through its non-public serializer) give the same page.
    _generation, page = cache.get(keys["page"].split(":", 2)[2])
    assert page_from_redis(stored.get(keys["page"])) == page
    raw = record_cached_page(
        page_keys=list(keys.values()), visitor="contract", address="contract", day=timezone.localdate()
    )
    assert page_from_redis(raw) == page and cached_post.title.encode() in page.content
