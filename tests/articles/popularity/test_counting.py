"""Counting views on the request path, with the real Redis."""

import logging
import threading

import pytest
from django.db import connection
from django.http import HttpResponse
from django.test.utils import CaptureQueriesContext

from articles.models import Article
from articles.popularity import counter as view_counter
from articles.popularity import flush_views, view_record
from articles.popularity.middleware import CountViewsMiddleware
from articles.popularity.outage import outage
from articles.popularity.visitors import visitor_hash
from tests.articles.popularity.helpers import (
    CLOSED_REDIS_URL,
    counter,
    counter_keys,
    reader,
    reader_headers,
    rotate_user_agents,
    totals,
)
from tests.factories import ArticleFactory

pytestmark = [pytest.mark.django_db, pytest.mark.redis]


def test_a_readers_visit_to_a_post_page_counts_one_view_after_the_flush(client):
    article = ArticleFactory()
    assert client.get(article.get_absolute_url(), **reader_headers(1)).status_code == 200
    assert totals(article) == (0, 0, 0)
    flush_views()
    assert totals(article) == (1, 1, 1)


def test_recording_a_view_is_one_redis_round_trip_and_no_sql(monkeypatch):
    article = ArticleFactory()
    view_record(request=reader(1), article_id=article.pk)  # loads the script into Redis once
    client = view_counter.counter_client()
    commands = []
    execute = client.execute_command

    def counting(*args, **options):
        commands.append(args[0])
        return execute(*args, **options)

    monkeypatch.setattr(client, "execute_command", counting)
    with CaptureQueriesContext(connection) as queries:
        view_record(request=reader(2), article_id=article.pk)
    assert commands == ["EVALSHA"]
    assert len(queries) == 0


def test_the_same_visitor_twice_within_30_minutes_is_one_view(client):
    article = ArticleFactory()
    for _ in range(3):
        client.get(article.get_absolute_url(), **reader_headers(1))
    client.get(article.get_absolute_url(), **reader_headers(2))
    flush_views()
    assert totals(article) == (2, 2, 2)


def test_the_dedupe_lasts_30_minutes_and_a_later_visit_counts_again_for_the_same_visitor():
    article = ArticleFactory()
    view_record(request=reader(1), article_id=article.pk)
    [seen_key] = [key for key in counter_keys() if ":seen:" in key]
    assert 1790 <= counter().ttl(seen_key) <= 1800
    counter().delete(seen_key)  # as if 30 minutes had passed
    view_record(request=reader(1), article_id=article.pk)
    flush_views()
    assert totals(article) == (2, 2, 1)


def test_the_same_visitor_on_two_posts_counts_on_each():
    first, second = ArticleFactory(), ArticleFactory()
    view_record(request=reader(1), article_id=first.pk)
    view_record(request=reader(1), article_id=second.pk)
    flush_views()
    assert totals(first)[0] == totals(second)[0] == 1


@pytest.mark.parametrize(
    "request_kwargs",
    [
        {"user_agent": "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"},
        {"user_agent": "facebookexternalhit/1.1"},
        {"user_agent": "python-requests/2.32"},
        {"user_agent": ""},
        {"HTTP_SEC_PURPOSE": "prefetch"},
        {"HTTP_PURPOSE": "prefetch"},
        {"method": "head"},
    ],
    ids=["crawler", "link-preview", "http-library", "no-user-agent", "sec-purpose", "purpose", "head"],
)
def test_bots_prefetches_and_head_requests_count_nothing(request_kwargs):
    article = ArticleFactory()
    view_record(request=reader(1, **request_kwargs), article_id=article.pk)
    flush_views()
    assert totals(article) == (0, 0, 0)
    assert counter_keys() == [f"{view_counter.LAST_FLUSH_KEY}"]


def test_head_and_bot_requests_of_the_post_page_are_served_but_not_counted(client):
    article = ArticleFactory()
    assert client.head(article.get_absolute_url(), **reader_headers(1)).status_code == 200
    assert client.get(article.get_absolute_url(), REMOTE_ADDR="10.9.9.9", HTTP_USER_AGENT="curl/8.5").status_code == 200
    flush_views()
    assert totals(article) == (0, 0, 0)


@pytest.mark.parametrize(("status", "counted"), [(200, 1), (304, 0), (404, 0), (500, 0), (302, 0)])
def test_only_a_200_response_counts(status, counted):
    article = ArticleFactory()

    def page(request):
        view_record(request=request, article_id=article.pk)
        return HttpResponse(status=status)

    CountViewsMiddleware(page)(reader(1))
    flush_views()
    assert totals(article)[0] == counted


def test_a_hidden_post_is_a_404_and_counts_nothing(client):
    article = ArticleFactory(status=Article.Status.HIDDEN)
    assert client.get(article.get_absolute_url(), **reader_headers(1)).status_code == 404
    flush_views()
    assert totals(article) == (0, 0, 0)


def test_raw_addresses_are_never_stored():
    article = ArticleFactory()
    view_record(request=reader(1234), article_id=article.pk)
    stored = b" ".join(key for key in counter().keys("*"))
    stored += b" ".join(str(counter().hgetall(key)).encode() for key in counter().keys("*pending*"))
    assert b"10.0.4.210" not in stored
    assert b"Firefox" not in stored


def test_behind_our_proxy_visitors_are_told_apart_by_the_address_the_proxy_saw(settings):
    settings.BEHIND_PROXY = True
    first = reader(1, HTTP_X_FORWARDED_FOR="198.51.100.7")
    second = reader(1, HTTP_X_FORWARDED_FOR="198.51.100.7, 203.0.113.9")
    assert visitor_hash(first) != visitor_hash(second)


def test_without_a_proxy_a_forged_forwarded_for_header_changes_nothing():
    plain = reader(1)
    forged = reader(1, HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert visitor_hash(plain) == visitor_hash(forged)


def test_50_threads_of_200_views_from_distinct_visitors_give_exact_totals():
    articles = ArticleFactory.create_batch(7)
    errors = []

    def worker(thread: int) -> None:
        try:
            for i in range(200):
                number = thread * 200 + i
                view_record(request=reader(number), article_id=articles[number % 7].pk)
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(thread,)) for thread in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    result = flush_views()
    assert result.views == 10_000
    expected = [len(range(index, 10_000, 7)) for index in range(7)]
    assert [totals(article)[:2] for article in articles] == [(n, n) for n in expected]
    for article, views in zip(articles, expected, strict=True):
        unique = totals(article)[2]
        assert views * 0.97 <= unique <= views  # HyperLogLog: ~1% error, never above the views


def test_views_keep_counting_while_a_flush_runs_and_the_next_flush_gets_them():
    article = ArticleFactory()
    view_record(request=reader(1), article_id=article.pk)
    flush_views()
    view_record(request=reader(2), article_id=article.pk)
    view_record(request=reader(3), article_id=article.pk)
    flush_views()
    assert totals(article) == (3, 3, 3)


def test_when_redis_answers_again_the_log_says_how_many_views_were_lost(settings, caplog):
    article = ArticleFactory()
    working_redis = settings.REDIS_URL
    outage.reset()
    settings.REDIS_URL = CLOSED_REDIS_URL
    for number in range(3):
        view_record(request=reader(number), article_id=article.pk)
    settings.REDIS_URL = working_redis
    outage.skip_until = float("-inf")  # the retry pause is over
    with caplog.at_level(logging.WARNING, logger="articles.popularity.outage"):
        view_record(request=reader(9), article_id=article.pk)
    assert "Redis is back; 3 views were dropped while it was unreachable" in caplog.text
    flush_views()
    assert totals(article)[0] == 1
    outage.reset()


def test_one_address_rotating_its_user_agent_counts_three_views_per_post_and_window(client):
    article, other = ArticleFactory(), ArticleFactory()
    rotate_user_agents(client, article, 25)  # the first render, then the cached page
    rotate_user_agents(client, other, 2)
    rotate_user_agents(client, article, 2, address="10.0.0.2")
    flush_views()
    assert totals(article)[0] == 5
    assert totals(other)[0] == 2


def test_one_browser_moving_through_the_addresses_of_its_ipv6_64_counts_once(client):
    article = ArticleFactory()
    for n in range(1, 26):
        client.get(article.get_absolute_url(), **reader_headers(1, REMOTE_ADDR=f"2001:db8:9:9::{n:x}"))
    client.get(article.get_absolute_url(), **reader_headers(1, REMOTE_ADDR="2001:db8:9:a::1"))
    flush_views()
    assert totals(article)[0] == 2
