"""With DJANGO_LOG_JSON=true every line gunicorn, the Celery worker and beat write is JSON, run as Compose runs them."""

import json
import os
import shlex
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.db import connection

from tests.newsblog.test_compose import COMPOSE
from tests.newsblog.test_settings import PRODUCTION
from tests.test_smoke import free_port

PROJECT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
# The processes connect to the test database, so it must exist before they start.
pytestmark = pytest.mark.django_db(transaction=True)


def service_command(name: str) -> list[str]:
    """The Compose service's command, run from this virtualenv (web: the gunicorn it execs after migrating)."""
    command = COMPOSE["services"][name]["command"]
    if command[:2] == ["sh", "-c"]:
        command = shlex.split(command[2].split("exec ", 1)[1])
    return [str(BIN / command[0]), *command[1:]]


def this_runs_database_url() -> str:
    """DATABASE_URL naming this run's test database, which exists wherever the suite runs (CI's fresh machine too)."""
    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path="/" + connection.settings_dict["NAME"]))


def json_env(**extra: str) -> dict[str, str]:
    clean = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "PYTEST"))}
    # No usable home, like the image's user: HOME is a file, so nothing can be made in it even as root.
    return {
        **clean,
        **PRODUCTION,
        "DATABASE_URL": this_runs_database_url(),
        "REDIS_URL": os.environ["REDIS_URL"],
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DJANGO_LOG_JSON": "true",
        "HOME": "/dev/null",
        **extra,
    }


def run_until(command: list[str], env: dict[str, str], log: Path, until, seconds: float = 30) -> list[str]:
    """Start the process with its output in log, wait until until() says so, stop it with SIGTERM; its lines."""
    with log.open("wb") as output:
        process = subprocess.Popen(
            command, cwd=PROJECT, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        deadline = time.monotonic() + seconds
        while not until() and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
    return [line for line in log.read_text().splitlines() if line.strip()]


def not_json(lines: list[str]) -> list[str]:
    bad = []
    for line in lines:
        try:
            json.loads(line)
        except ValueError:
            bad.append(line)
    return bad


def get(url: str) -> int:
    request = urllib.request.Request(url, headers={"Host": "news.example.com"})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 - a local test server
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return 0


@pytest.mark.postgres
def test_gunicorn_start_up_worker_and_access_lines_are_json_and_it_needs_no_home(tmp_path):
    port = free_port()
    command = [part.replace("0.0.0.0:8000", f"127.0.0.1:{port}") for part in service_command("web")]
    statuses = []

    def served() -> bool:
        statuses.append(get(f"http://127.0.0.1:{port}/healthz/live"))
        return statuses[-1] == 200

    lines = run_until(command, json_env(), tmp_path / "web.log", served)
    assert statuses[-1] == 200, lines
    assert not_json(lines) == []
    records = [json.loads(line) for line in lines]
    loggers = {record["logger"] for record in records}
    assert {"gunicorn.error", "gunicorn.access"} <= loggers, loggers
    assert any("GET /healthz/live" in record["message"] for record in records)
    assert not any(record["message"].startswith("Control s") for record in records)  # no socket, no error


@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.parametrize("name", ["worker", "beat"])
def test_celery_worker_and_beat_lines_are_json(name, tmp_path):
    command = [part.replace("/tmp/celerybeat-schedule", str(tmp_path / "schedule")) for part in service_command(name)]
    log = tmp_path / f"{name}.log"
    # Ready: the worker says so once connected to the broker; beat once its scheduler starts.
    said = {"worker": b" ready.", "beat": b"beat: Starting"}[name]
    # CI runs as root, where Celery warns before any logging is set up; the documented service user is not root.
    env = json_env(REDIS_URL=spare_redis_database(), PYTHONWARNINGS="ignore:You're running the worker with superuser")
    lines = run_until(command, env, log, lambda: said in log.read_bytes())
    assert said.decode() in "\n".join(lines), lines
    assert not_json(lines) == []


def spare_redis_database() -> str:
    """The test run's Redis server, on a database the tests themselves do not use, so no test's queue is read."""
    url = os.environ["REDIS_URL"]
    base, _, _number = url.rpartition("/")
    return f"{base}/15"
