"""docker-compose.yml as an operator runs it: web's health check and what worker and beat wait for."""

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from django.utils import timezone

from articles import popularity
from newsblog.probe import probe_host

PROJECT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((PROJECT / "docker-compose.yml").read_text())


def web_healthcheck(port: int) -> list[str]:
    """The web service's health check command, pointed at the test's server instead of the container's port."""
    kind, program, *arguments = COMPOSE["services"]["web"]["healthcheck"]["test"]
    assert (kind, program) == ("CMD", "python")
    return [sys.executable, *(part.replace("127.0.0.1:8000", f"127.0.0.1:{port}") for part in arguments)]


@pytest.mark.django_db(transaction=True)
def test_web_is_healthy_after_a_long_stop_with_only_the_public_host_allowed(live_server, settings, monkeypatch):
    """Down for more than 10 minutes, then `up -d`: web must turn healthy so that worker and beat start at all."""
    settings.ALLOWED_HOSTS = ["news.example.com"]
    monkeypatch.setattr(popularity, "counter_status", lambda: "ok")
    monkeypatch.setattr(popularity, "last_flush_at", lambda: timezone.now() - timedelta(minutes=11))
    port = int(live_server.url.rsplit(":", 1)[1])
    env = {**os.environ, "DJANGO_ALLOWED_HOSTS": "news.example.com"}
    result = subprocess.run(web_healthcheck(port), cwd=PROJECT, env=env, capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr


def test_worker_and_beat_wait_for_a_web_check_that_asks_liveness_only():
    for name in ("worker", "beat"):
        depends_on = COMPOSE["services"][name]["depends_on"]
        assert depends_on["web"] == {"condition": "service_healthy"}, name
    assert "/healthz/live" in " ".join(COMPOSE["services"]["web"]["healthcheck"]["test"])


@pytest.mark.parametrize(
    ("allowed", "host"),
    [
        ("news.example.com,localhost", "news.example.com"),
        (" .example.com", "example.com"),
        ("*", "localhost"),
        ("", "localhost"),
    ],
)
def test_the_probe_sends_a_host_the_site_allows(allowed, host):
    assert probe_host(allowed) == host
