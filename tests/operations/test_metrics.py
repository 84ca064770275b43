"""/metrics: who may read it, and what a scrape of the web process holds after a poll and some readers."""

import pytest
from django.test import override_settings
from django.utils import timezone

from articles import popularity
from articles.models import Article, Comment
from feeds.services import feed_poll
from newsblog.env import env_networks
from tests.factories import ArticleFactory, CommentFactory, SourceFactory
from tests.feeds.conftest import feed_server  # noqa: F401 - the local upstream fixture
from tests.newsblog.metrics_helpers import WEB_METRICS, WORKER_METRICS, families, value

READER = {"HTTP_USER_AGENT": "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0"}


@pytest.mark.django_db
def test_loopback_may_scrape_and_anyone_else_gets_403(client):
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="::1").status_code == 200
    refused = client.get("/metrics", REMOTE_ADDR="203.0.113.7")
    assert refused.status_code == 403
    assert b"newsblog_" not in refused.content


@pytest.mark.django_db
@override_settings(METRICS_TOKEN="s3cret-scrape-token", METRICS_ALLOWED_NETWORKS=env_networks("X", ["10.9.0.0/16"]))
def test_a_listed_network_or_the_bearer_token_may_scrape(client):
    assert client.get("/metrics", REMOTE_ADDR="10.9.3.4").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 403  # loopback is only the default
    outside = {"REMOTE_ADDR": "203.0.113.7"}
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-scrape-token", **outside).status_code == 200
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong", **outside).status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION="s3cret-scrape-token", **outside).status_code == 403


@pytest.mark.django_db
@override_settings(BEHIND_PROXY=True)
def test_behind_the_proxy_a_public_reader_is_refused_although_nginx_connects_from_loopback(client):
    forwarded = {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "203.0.113.7"}
    assert client.get("/metrics", **forwarded).status_code == 403
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 200  # Prometheus on the host itself


@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.django_db
def test_a_web_scrape_lists_every_web_metric_with_what_happened(client, feed_server, settings):  # noqa: F811
    settings.PAGE_CACHE_SECONDS = 600
    healthy = SourceFactory(feed_url=feed_server.serve("/feed.xml", file="feeds/rss20.xml"))
    failing = SourceFactory(consecutive_failures=3, last_success_at=timezone.now() - timezone.timedelta(hours=7))
    feed_poll(source=healthy)
    post = ArticleFactory(source=failing)
    CommentFactory(article=post, status=Comment.Status.PENDING)
    ArticleFactory(source=post.source, status=Article.Status.PENDING)
    before = client.get("/metrics").content.decode()
    for _ in range(3):
        assert client.get(post.get_absolute_url(), **READER).status_code == 200
    popularity.flush_views()

    text = client.get("/metrics").content.decode()

    assert families(text).keys() >= WEB_METRICS, WEB_METRICS - families(text).keys()
    grew = value(text, "newsblog_views_recorded_total") - value(before, "newsblog_views_recorded_total")
    assert grew == 3
    hits = value(text, "newsblog_page_cache_requests_total", result="hit")
    assert hits - value(before, "newsblog_page_cache_requests_total", result="hit") == 2  # the first was a miss
    assert value(text, "newsblog_sources", state="failing") == 1
    assert value(text, "newsblog_sources", state="healthy") == 1
    assert value(text, "newsblog_source_failing_seconds") >= 7 * 3600
    assert value(text, "newsblog_comments_pending_review") == 1
    assert value(text, "newsblog_posts_pending_review") == 1
    assert 0 <= value(text, "newsblog_view_flush_lag_seconds") < 60
    # In the embedded-style single process the poll ran here, so the worker's domain metrics show too.
    assert WORKER_METRICS - {"newsblog_celery_tasks", "newsblog_celery_task_seconds"} <= families(text).keys()
