"""Logging as an operator meets it: plain lines by default, JSON when DJANGO_LOG_JSON asks, tracebacks on errors."""

import io
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from feeds.services import feed_poll
from newsblog.celery import app
from newsblog.logging import JsonFormatter
from tests.factories import SourceFactory
from tests.feeds.feedserver import FeedServer

PROJECT = Path(__file__).resolve().parents[2]
# What a poll logs (the ingestion side emits one such line per poll on "feeds.poll"), then a failure.
SCRIPT = """
import logging, django
django.setup()
log = logging.getLogger("feeds.poll")
log.info("poll Example News: ok", extra={"source": "Example News", "outcome": "ok", "http_status": 200,
         "duration_ms": 41, "new": 3, "updated": 1})
try:
    {}["missing"]
except KeyError:
    log.exception("poll Example News: error")
"""


def run_with(**env: str) -> list[str]:
    clean = {key: value for key, value in os.environ.items() if not key.startswith("DJANGO_")}
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=PROJECT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "newsblog.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stderr.splitlines()


def test_plain_lines_by_default_with_the_traceback_of_an_error():
    lines = run_with()
    assert lines[0].endswith("INFO feeds.poll poll Example News: ok")
    assert lines[1].endswith("ERROR feeds.poll poll Example News: error")
    assert lines[2] == "Traceback (most recent call last):"
    assert lines[-1] == "KeyError: 'missing'"


@pytest.mark.parametrize("value", ["true", "1", "yes"])
def test_json_lines_when_asked_with_fields_and_traceback(value):
    lines = run_with(DJANGO_LOG_JSON=value)
    assert len(lines) == 2
    poll, error = (json.loads(line) for line in lines)
    assert poll["logger"] == "feeds.poll"
    assert poll["level"] == "INFO"
    assert {key: poll[key] for key in ("source", "outcome", "http_status", "duration_ms", "new", "updated")} == {
        "source": "Example News",
        "outcome": "ok",
        "http_status": 200,
        "duration_ms": 41,
        "new": 3,
        "updated": 1,
    }
    assert error["level"] == "ERROR"
    assert error["traceback"].startswith("Traceback (most recent call last):")
    assert error["traceback"].endswith("KeyError: 'missing'")


def test_celery_workers_log_through_the_same_settings():
    assert app.conf.worker_hijack_root_logger is False


@pytest.mark.django_db
def test_a_real_poll_logs_one_json_line_with_its_figures():
    server = FeedServer().start()
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    poll_logger = logging.getLogger("feeds.poll")
    poll_logger.addHandler(handler)
    try:
        source = SourceFactory(slug="harbour", feed_url=server.serve("/feed.xml", file="feeds/rss20.xml"))
        feed_poll(source=source)
    finally:
        poll_logger.removeHandler(handler)
        server.stop()
    lines = stream.getvalue().splitlines()
    assert len(lines) == 1
    line = json.loads(lines[0])
    assert line["message"].startswith("poll harbour: ok (HTTP 200")
    assert {key: line[key] for key in ("source", "outcome", "http_status", "new", "updated")} == {
        "source": "harbour",
        "outcome": "ok",
        "http_status": 200,
        "new": 3,
        "updated": 0,
    }
    assert isinstance(line["duration_ms"], int)
