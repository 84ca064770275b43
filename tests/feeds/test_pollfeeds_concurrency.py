"""`pollfeeds --concurrency N`: several sources polled at once, politeness applied, stores correct on SQLite and
PostgreSQL; and the Redis limiter holding two real `pollfeeds` processes to 2 requests in flight and 1 s apart."""

import logging
import os
import sqlite3
import subprocess
import sys
import time
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.db import connection

from articles.models import Article
from feeds import politeness
from tests.factories import SourceFactory
from tests.feeds.feedserver import FeedServer
from tests.feeds.rss import rss
from tests.feeds.turns import LOGGER, gaps, turn_starts, turn_starts_in_json_log

PROJECT = Path(__file__).resolve().parents[2]
TOLERANCE = 0.05
# Loopback addresses other than 127.0.0.1: each a host of its own for politeness (all of 127.0.0.0/8 is loopback).
HOSTS = ["127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5"]


def feed(n: int, entries: int = 5) -> bytes:
    return rss(
        *({"guid": f"s{n}-e{e}", "title": f"Story {n}.{e}", "content": f"<p>Text {n} {e}.</p>"} for e in range(entries))
    )


@pytest.fixture
def servers():
    started = [FeedServer(host).start() for host in HOSTS]
    yield started
    for server in started:
        server.stop()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_pollfeeds_polls_several_sources_at_once_and_keeps_each_host_polite(servers, settings, caplog):
    settings.FEEDS_HOST_MIN_GAP_MS = 1000
    politeness.limiter_reset()
    for server in servers:
        for n in range(4):
            SourceFactory(feed_url=server.serve(f"/f{n}.xml", feed(n), delay=1.0))
    output, progress = StringIO(), StringIO()

    with caplog.at_level(logging.DEBUG, logger=LOGGER):
        call_command("pollfeeds", "--all", "--concurrency", "8", stdout=output, stderr=progress)

    assert "16 polled, 16 fine, 0 failed." in output.getvalue()
    assert Article.objects.count() == 16 * 5
    turns = turn_starts(caplog.records)
    # Every request the hosts saw went out on a turn of its own.
    assert {host: len(starts) for host, starts in turns.items()} == {
        server.host: len(server.requests) for server in servers
    }
    firsts = sorted(starts[0] for starts in turns.values())
    # One request to each of the four hosts at once (one poll after another would take 1 s each)...
    assert firsts[3] - firsts[0] < 0.8
    # ...and each host's own requests a second apart, never more than two at once.
    for server in servers:
        assert len(server.requests) == 4 and all(gap >= 1 - TOLERANCE for gap in gaps(turns[server.host]))
        assert max(request.in_flight for request in server.requests) <= 2
    # The progress line moves once per finished poll, from the main thread only: no torn or repeated counts.
    lines = progress.getvalue().splitlines()
    assert [line.split("] ")[1].split(" ")[0] for line in lines] == [f"{n}/16" for n in range(17)] + ["16/16"]


def test_pollfeeds_on_the_embedded_sqlite_file_stores_every_poll_with_no_database_locked(tmp_path):
    """A real SQLite file and a real process: eight threads storing at once take turns, none is refused."""
    server = FeedServer().start()
    try:
        urls = [server.serve(f"/f{n}.xml", feed(n, entries=30), delay=0.2) for n in range(16)]
        outlines = "".join(f'<outline text="Feed {n}" xmlUrl="{url}"/>' for n, url in enumerate(urls))
        opml = tmp_path / "feeds.opml"
        opml.write_text(f'<?xml version="1.0"?><opml version="2.0"><body>{outlines}</body></opml>')
        database = tmp_path / "db.sqlite3"
        env = _embedded_env(database, FEEDS_HOST_MAX_IN_FLIGHT="8", FEEDS_HOST_MIN_GAP_MS="0")
        _manage(env, "migrate", "-v0")
        _manage(env, "importopml", str(opml))

        polled = _manage(env, "pollfeeds", "--all", "--concurrency", "8")
    finally:
        server.stop()
    assert "16 polled, 16 fine, 0 failed." in polled.stdout
    assert "locked" not in polled.stdout + polled.stderr
    assert max(request.in_flight for request in server.requests) > 1  # the polls did overlap
    with sqlite3.connect(database) as db:
        assert db.execute("select count(*) from articles_article").fetchone()[0] == 16 * 30
        assert db.execute("select count(*) from feeds_fetchattempt where outcome = 'ok'").fetchone()[0] == 16


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_two_pollfeeds_processes_share_the_redis_limiter_two_in_flight_a_second_apart():
    server = FeedServer().start()
    try:
        sources = [SourceFactory(feed_url=server.serve(f"/f{n}.xml", feed(n), delay=0.6)) for n in range(8)]
        env = {
            **_clean_environment(),
            "DATABASE_URL": _database_url(),
            "REDIS_URL": django_settings.REDIS_URL,
            "FEEDS_ALLOW_PRIVATE_ADDRESSES": "true",
            "FEEDS_HOST_MIN_GAP_MS": "1000",
            "FEEDS_HOST_MAX_IN_FLIGHT": "2",
            # Each turn's start on a line of its own (tests/feeds/turns.py).
            "DJANGO_LOG_LEVEL": "DEBUG",
            "DJANGO_LOG_JSON": "true",
        }
        halves = [sources[:4], sources[4:]]
        workers = [
            subprocess.Popen(  # noqa: S603 - our own manage.py
                [sys.executable, "manage.py", "pollfeeds", "--concurrency", "4", "--source"]
                + [str(source.pk) for source in half],
                cwd=PROJECT,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for half in halves
        ]
        outputs = [worker.communicate(timeout=90) for worker in workers]
    finally:
        server.stop()
    for worker, (stdout, stderr) in zip(workers, outputs, strict=True):
        assert worker.returncode == 0, stderr
        assert "4 polled, 4 fine, 0 failed." in stdout
    assert len(server.requests) == 8
    assert max(request.in_flight for request in server.requests) <= 2
    starts = sorted(start for _, log in outputs for start in turn_starts_in_json_log(log).get(server.host, []))
    assert len(starts) == 8  # every request on a turn, whichever process sent it
    assert all(gap >= 1 - TOLERANCE for gap in gaps(starts)), gaps(starts)
    assert Article.objects.count() == 8 * 5


def _clean_environment() -> dict[str, str]:
    """This environment without the test run's own database, Redis and Django settings."""
    dropped = {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE", "PYTEST_XDIST_WORKER"}
    return {key: value for key, value in os.environ.items() if key not in dropped and not key.startswith("DJANGO_")}


def _embedded_env(database: Path, **extra: str) -> dict[str, str]:
    return {
        **_clean_environment(),
        "DATABASE_URL": f"sqlite:///{database}",
        "FEEDS_ALLOW_PRIVATE_ADDRESSES": "true",
        **extra,
    }


def _database_url() -> str:
    """The test database this test's rows are committed to, for the worker processes."""
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    started = time.monotonic()
    result = subprocess.run(  # noqa: S603 - our own manage.py
        [sys.executable, "manage.py", *args], cwd=PROJECT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, (
        f"manage.py {' '.join(args)} failed after {time.monotonic() - started:.0f} s:\n{result.stderr}"
    )
    return result
