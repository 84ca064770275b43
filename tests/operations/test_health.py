"""/healthz: what an operator's monitor sees."""

import time
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from articles import popularity
from tests.factories import SourceFactory

pytestmark = pytest.mark.django_db
CLOSED_PORT = "redis://127.0.0.1:1/0"


def stop_redis(settings) -> None:
    """Point the cache, the counters and the broker at a port where no Redis answers."""
    settings.REDIS_URL = CLOSED_PORT
    settings.CELERY_BROKER_URL = CLOSED_PORT
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CACHES = {"default": {**settings.CACHES["default"], "LOCATION": CLOSED_PORT}}


@pytest.mark.redis
def test_everything_up_is_200_and_never_cached(client):
    SourceFactory(last_success_at=timezone.now() - timedelta(minutes=5))
    popularity.flush_views()
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/healthz")
    body = response.json()
    assert response.status_code == 200, body
    assert body["status"] == "ok"
    assert body["failing"] == []
    assert {name for name, check in body["checks"].items() if check["ok"]} == {
        "database",
        "redis",
        "broker",
        "last_poll",
        "view_flush",
    }
    assert 290 <= body["checks"]["last_poll"]["age_seconds"] <= 400
    assert body["checks"]["view_flush"]["age_seconds"] <= 5
    assert body["checks"]["view_flush"]["counter"] == "ok"
    assert "no-store" in response["Cache-Control"]
    assert len(queries) <= 3


def test_redis_stopped_is_503_naming_what_failed(client, settings):
    stop_redis(settings)
    started = time.monotonic()
    response = client.get("/healthz")
    assert time.monotonic() - started < 5
    body = response.json()
    assert response.status_code == 503
    assert body["status"] == "failing"
    assert set(body["failing"]) == {"redis", "broker", "view_flush"}
    assert body["checks"]["view_flush"]["error"].startswith("view counter down:")
    assert "database" not in body["failing"]
    assert body["checks"]["redis"]["error"] == "ConnectionError (details in the server log)"
    assert "127.0.0.1" not in response.content.decode()
    assert body["checks"]["database"]["ok"]


def test_no_successful_poll_for_hours_is_503(client, settings):
    settings.HEALTHZ_MAX_POLL_AGE_MINUTES = 60
    SourceFactory(last_success_at=timezone.now() - timedelta(hours=5))
    response = client.get("/healthz")
    body = response.json()
    assert response.status_code == 503
    assert "last_poll" in body["failing"]
    assert body["checks"]["last_poll"]["error"] == "no successful poll for more than 60 minutes"


def test_a_new_site_with_nothing_polled_yet_is_not_failing_on_polls(client):
    SourceFactory()
    check = client.get("/healthz").json()["checks"]["last_poll"]
    assert check == {"at": None, "age_seconds": None, "silent_sources": 0, "ok": True}


def test_a_late_view_flush_is_503(client, settings, monkeypatch):
    settings.HEALTHZ_MAX_FLUSH_AGE_MINUTES = 10
    monkeypatch.setattr(popularity, "counter_status", lambda: "ok")
    monkeypatch.setattr(popularity, "last_flush_at", lambda: timezone.now() - timedelta(minutes=30))
    body = client.get("/healthz").json()
    assert "view_flush" in body["failing"]
    assert body["checks"]["view_flush"]["error"] == "no view flush for more than 10 minutes"


def test_embedded_default_has_no_redis_or_broker_to_fail(client, settings, monkeypatch):
    settings.REDIS_URL = ""
    settings.CELERY_BROKER_URL = "memory://"
    settings.CELERY_TASK_ALWAYS_EAGER = True
    monkeypatch.setattr(popularity, "counter_status", lambda: "embedded")
    monkeypatch.setattr(popularity, "last_flush_at", lambda: None)
    response = client.get("/healthz")
    body = response.json()
    assert response.status_code == 200, body
    assert body["checks"]["redis"]["state"] == "not used (embedded default)"
    assert body["checks"]["broker"]["state"] == "in-process (embedded default)"
    assert body["checks"]["view_flush"]["counter"] == "embedded"


def test_readiness_alias_answers_like_healthz(client, settings):
    settings.HEALTHZ_MAX_POLL_AGE_MINUTES = 60
    SourceFactory(last_success_at=timezone.now() - timedelta(hours=5))
    assert client.get("/healthz/ready").status_code == 503
    assert client.get("/healthz/ready").json()["failing"] == client.get("/healthz").json()["failing"]


def test_live_stays_200_while_worker_and_beat_are_away(client, settings, monkeypatch):
    """A stack stopped for hours: no poll, no flush. Monitoring says so; load balancers keep the web server."""
    settings.HEALTHZ_MAX_POLL_AGE_MINUTES = 60
    SourceFactory(last_success_at=timezone.now() - timedelta(hours=5))
    monkeypatch.setattr(popularity, "counter_status", lambda: "ok")
    monkeypatch.setattr(popularity, "last_flush_at", lambda: timezone.now() - timedelta(minutes=11))
    assert client.get("/healthz").status_code == 503
    live = client.get("/healthz/live")
    assert live.status_code == 200, live.json()
    assert live.json() == {"status": "ok", "failing": [], "checks": {"database": {"ok": True}}}
    assert "no-store" in live["Cache-Control"]


@pytest.mark.redis
def test_live_does_not_ask_redis_or_the_broker(client, settings):
    stop_redis(settings)
    assert client.get("/healthz").status_code == 503
    assert client.get("/healthz/live").status_code == 200
