"""Scrapes of real processes: gunicorn with two workers adds up both, and the Celery worker serves its own port."""

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.db import connection

from tests.factories import SourceFactory
from tests.feeds.conftest import feed_server  # noqa: F401 - the local upstream fixture
from tests.newsblog.metrics_helpers import WORKER_METRICS, families, value
from tests.newsblog.test_process_logs import spare_redis_database
from tests.test_smoke import free_port

PROJECT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def service_env(**extra: str) -> dict[str, str]:
    """The test database (so a worker sees the rows the test made) and a Redis database no test uses."""
    clean = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "PYTEST"))}
    base = os.environ["DATABASE_URL"].rsplit("/", 1)[0]
    clean.pop("PROMETHEUS_MULTIPROC_DIR", None)
    return {
        **clean,
        "DATABASE_URL": f"{base}/{connection.settings_dict['NAME']}",
        "REDIS_URL": spare_redis_database(),
        "FEEDS_ALLOW_PRIVATE_ADDRESSES": "true",
        **extra,
    }


def scrape(url: str, process: subprocess.Popen, until=lambda text: True, seconds: float = 30) -> str:
    """The scrape at url once until(text) holds; fails when the process dies or time runs out."""
    deadline, text = time.monotonic() + seconds, ""
    while time.monotonic() < deadline:
        assert process.poll() is None, f"the process ended with status {process.returncode}"
        try:
            with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - a local test server
                text = response.read().decode()
            if until(text):
                return text
        except OSError:
            pass
        time.sleep(0.3)
    raise AssertionError(f"{url} never showed what was expected; last scrape:\n{text[-3000:]}")


def wait_for_files(directory: Path, *, count: int, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while len({path.name for path in directory.glob("counter_*.db")} - {"counter_99999.db"}) < count:
        assert time.monotonic() < deadline, f"fewer than {count} processes wrote metrics in {seconds} s"
        time.sleep(0.2)


def started(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    with log.open("wb") as output:
        return subprocess.Popen(
            command, cwd=PROJECT, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )


def stop(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=30)


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_gunicorn_scrape_adds_up_every_worker_and_starts_from_zero(tmp_path):
    port = free_port()
    command = [str(BIN / "gunicorn"), "newsblog.wsgi", "--config", "gunicorn.conf.py"]
    command += ["--bind", f"127.0.0.1:{port}", "--workers", "2"]
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    (metrics_dir / "counter_99999.db").write_bytes(b"left over from a previous run")
    web = started(command, service_env(PROMETHEUS_MULTIPROC_DIR=str(metrics_dir)), tmp_path / "web.log")
    try:
        scrape(f"http://127.0.0.1:{port}/healthz/live", web)
        wait_for_files(metrics_dir, count=2)  # both workers booted (each writes its files at start)
        for _ in range(40):
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz/live", timeout=5).read()  # noqa: S310
        text = scrape(f"http://127.0.0.1:{port}/metrics", web)
        pids = {path.name.rsplit("_", 1)[1] for path in metrics_dir.glob("counter_*.db")}
    finally:
        stop(web)
    requests = value(text, "django_http_responses_total_by_status_view_method_total", view="healthz-live")
    assert requests >= 41, text  # every worker's requests, not only those of the one that answered the scrape
    assert len(pids) == 2, pids  # both workers wrote; the stale file of a previous run was emptied away
    assert "99999.db" not in pids


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_the_worker_serves_task_and_poll_metrics_on_its_own_port(tmp_path, feed_server):  # noqa: F811
    source = SourceFactory(feed_url=feed_server.serve("/feed.xml", file="feeds/rss20.xml"))
    port = free_port()
    env = service_env(CELERY_METRICS_PORT=str(port))
    worker = started(
        [str(BIN / "celery"), "-A", "newsblog", "worker", "-l", "info", "-c", "2", "--purge"], env, tmp_path / "w.log"
    )
    try:
        scrape(f"http://127.0.0.1:{port}/metrics", worker)
        call = [str(BIN / "celery"), "-A", "newsblog", "call", "feeds.tasks.poll_source", f"--args=[{source.pk}]"]
        subprocess.run(call, cwd=PROJECT, env=env, check=True, capture_output=True, timeout=60)
        polled = 'newsblog_polls_total{outcome="ok"} 1.0'
        text = scrape(f"http://127.0.0.1:{port}/metrics", worker, until=lambda text: polled in text)
    finally:
        stop(worker)
    assert families(text).keys() >= WORKER_METRICS, WORKER_METRICS - families(text).keys()
    task = {"task": "feeds.tasks.poll_source", "outcome": "SUCCESS"}
    assert value(text, "newsblog_celery_tasks_total", **task) == 1
    assert value(text, "newsblog_celery_task_seconds_count", **task) == 1
    assert value(text, "newsblog_entries_total", result="new") == 3
    assert value(text, "newsblog_fetch_seconds_count") == 1


@pytest.mark.redis
def test_beat_serves_the_tasks_it_sent_on_its_own_port(tmp_path):
    port = free_port()
    # Its own Redis database: the tasks it sends pile up unread there, never in a worker test's queue.
    redis_url = spare_redis_database().rsplit("/", 1)[0] + "/14"
    env = service_env(CELERY_BEAT_METRICS_PORT=str(port), FEEDS_SCHEDULE_SECONDS="1", REDIS_URL=redis_url)
    command = [str(BIN / "celery"), "-A", "newsblog", "beat", "-l", "info", "-s", str(tmp_path / "schedule")]
    beat = started(command, env, tmp_path / "beat.log")
    sent = 'newsblog_celery_tasks_sent_total{task="feeds.tasks.poll_due_sources"}'
    try:
        text = scrape(f"http://127.0.0.1:{port}/metrics", beat, until=lambda text: sent in text)
    finally:
        stop(beat)
    assert value(text, "newsblog_celery_tasks_sent_total", task="feeds.tasks.poll_due_sources") >= 1
