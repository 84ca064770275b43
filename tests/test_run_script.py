"""`make run` (scripts/run), embedded default: a schedule polls due sources by itself and stops with the server."""

import os
import signal
import socket
import sqlite3
import subprocess
import time
import uuid
from pathlib import Path

import pytest

from tests.feeds.feedserver import FeedServer

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for(check, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.5)
    raise AssertionError(f"gave up waiting {seconds:g} s for {what}")


def _processes_with(marker: str) -> list[int]:
    """Every live process whose environment carries the marker: the script and all it started."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker.encode() in (entry / "environ").read_bytes():
                    pids.append(int(entry.name))
            except OSError:
                continue  # gone, or not ours to read
    return pids


def _fetch_attempts(database: Path, source: str) -> int:
    try:
        with sqlite3.connect(database) as connection:
            query = "SELECT COUNT(*) FROM feeds_fetchattempt JOIN feeds_source s ON s.id = source_id WHERE s.slug = ?"
            return connection.execute(query, [source]).fetchone()[0]
    except sqlite3.OperationalError:
        return 0  # not migrated yet


def _server_answers(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="needs /proc to find leftover processes")
def test_make_run_polls_a_due_source_by_itself_and_stops_the_schedule_with_the_server(tmp_path):
    feeds = FeedServer().start()
    feed_url = feeds.serve("/feed.xml", file="feeds/rss20.xml")
    database, port, marker = tmp_path / "db.sqlite3", _free_port(), f"newsblog-run-{uuid.uuid4()}"
    environment = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "REDIS_URL")}
    environment.update(
        DATABASE_URL=f"sqlite:///{database}",
        FEEDS_ALLOW_PRIVATE_ADDRESSES="true",
        FEEDS_SCHEDULE_SECONDS="10",
        NEWSBLOG_ADDRESS=f"127.0.0.1:{port}",
        RUN_MARKER=marker,
    )
    environment.pop("DJANGO_SETTINGS_MODULE", None)
    # Its own session, like a terminal's foreground job: Ctrl-C is a SIGINT to the whole group.
    run = subprocess.Popen(
        ["scripts/run"],
        cwd=ROOT,
        env=environment,
        start_new_session=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        _wait_for(lambda: _server_answers(port), 120, "the server to answer")
        add = [str(ROOT / ".venv/bin/python"), "manage.py", "shell", "-c"]
        code = (
            f"from feeds.models import Source; Source.objects.create(name='Local', slug='local', feed_url={feed_url!r})"
        )
        subprocess.run([*add, code], cwd=ROOT, env=environment, check=True, capture_output=True)
        # Nobody clicks Poll now: the schedule finds the new source due within its 10 s interval.
        _wait_for(lambda: _fetch_attempts(database, "local"), 40, "the schedule to poll the new source")
        assert feeds.hits("/feed.xml")
        assert _processes_with(marker)
    finally:
        os.killpg(run.pid, signal.SIGINT)
        output = run.communicate(timeout=30)[0]
        feeds.stop()
    assert "[poll-schedule]" in output and "fine, 0 failed" in output, output[-2000:]
    # The server and the whole schedule (loop, poll, sleep) are gone, not orphaned.
    _wait_for(lambda: not _processes_with(marker), 10, "every process started by scripts/run to stop")
