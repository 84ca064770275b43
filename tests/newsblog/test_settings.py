"""Settings as an operator meets them: each case boots the project in a subprocess with its own environment."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DJANGO_DEBUG": "false",
    "DJANGO_SECRET_KEY": "x7Hq2-very-long-random-production-secret-key-for-tests-3kLp9ZrT0aBcD",
    "DJANGO_ALLOWED_HOSTS": "news.example.com",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/newsblog",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
}
SETTINGS_VARIABLES = [*PRODUCTION, "DJANGO_SETTINGS_MODULE", "DJANGO_TIME_ZONE", "SITE_NAME"]


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    # Nothing of the test run's own Django environment (e.g. the browser tests' DJANGO_ALLOW_ASYNC_UNSAFE) leaks in.
    clean = {
        key: value
        for key, value in os.environ.items()
        if key not in SETTINGS_VARIABLES and not key.startswith("DJANGO_")
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=PROJECT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_refuses_to_start_without_a_secret_key():
    env = {**PRODUCTION}
    del env["DJANGO_SECRET_KEY"]
    result = manage("check", **env)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


def test_production_refuses_the_development_key():
    result = manage("check", **{**PRODUCTION, "DJANGO_SECRET_KEY": "django-insecure-" + "a" * 60})
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


def example_secret_key() -> str:
    lines = (PROJECT / "docs" / "compose.env.example").read_text().splitlines()
    return next(line.split("=", 1)[1] for line in lines if line.startswith("DJANGO_SECRET_KEY="))


def test_production_refuses_the_secret_key_published_in_the_compose_example():
    result = manage("check", "--deploy", **{**PRODUCTION, "DJANGO_SECRET_KEY": example_secret_key()})
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is the example value published in compose.env.example" in result.stderr
    assert "secrets.token_urlsafe(64)" in result.stderr


@pytest.mark.parametrize("key", ["a" * 60, "abcd" * 20])
def test_production_refuses_a_long_key_made_of_fewer_than_five_characters(key):
    result = manage("check", **{**PRODUCTION, "DJANGO_SECRET_KEY": key})
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set to a random value" in result.stderr


def test_production_refuses_the_switch_that_turns_the_fetchers_address_policy_off():
    result = manage("check", **{**PRODUCTION, "FEEDS_ALLOW_PRIVATE_ADDRESSES": "true"})
    assert result.returncode != 0
    assert "FEEDS_ALLOW_PRIVATE_ADDRESSES=true turns the fetcher's address policy off" in result.stderr
    assert "FEEDS_ALLOWED_NETWORKS=10.1.2.0/24" in result.stderr


def test_production_takes_an_allow_list_of_networks_and_names_a_bad_entry():
    assert manage("check", **{**PRODUCTION, "FEEDS_ALLOWED_NETWORKS": "10.1.2.0/24, fd00:1::/64"}).returncode == 0
    result = manage("check", **{**PRODUCTION, "FEEDS_ALLOWED_NETWORKS": "10.1.2.0/24,intranet"})
    assert result.returncode != 0
    assert "FEEDS_ALLOWED_NETWORKS: 'intranet' is not an IP network" in result.stderr


def test_production_refuses_to_start_without_allowed_hosts():
    env = {**PRODUCTION}
    del env["DJANGO_ALLOWED_HOSTS"]
    result = manage("check", **env)
    assert result.returncode != 0
    assert "DJANGO_ALLOWED_HOSTS must list" in result.stderr


def test_a_bad_database_url_stops_start_up_with_a_clear_message():
    result = manage("check", DATABASE_URL="mysql://root@localhost/news")
    assert result.returncode != 0
    assert "DATABASE_URL='mysql://root@localhost/news' is not a database URL newsblog can use" in result.stderr
    assert "Traceback" not in result.stderr.splitlines()[-1]


def test_a_popular_window_the_ranking_does_not_know_stops_start_up_naming_the_windows_it_does():
    result = manage("check", POPULAR_WINDOW="14d")
    assert result.returncode != 0
    assert "POPULAR_WINDOW='14d' is not a window; use 7d, 30d, all." in result.stderr


def test_check_deploy_is_clean_in_production_settings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.parametrize(
    ("env", "cache_backend", "always_eager", "engine"),
    [
        ({}, "django.core.cache.backends.locmem.LocMemCache", True, "django.db.backends.sqlite3"),
        (
            {"REDIS_URL": "redis://127.0.0.1:6379/0"},
            "newsblog.metrics.cache.CountingRedisCache",
            False,
            "django.db.backends.sqlite3",
        ),
        (
            {"REDIS_URL": "redis://127.0.0.1:6379/0", "METRICS_ENABLED": "false"},
            "newsblog.redis_cache.ReusedClientRedisCache",
            False,
            "django.db.backends.sqlite3",
        ),
        (
            {"DATABASE_URL": "postgres://postgres@127.0.0.1:5432/newsblog"},
            "django.core.cache.backends.locmem.LocMemCache",
            True,
            "django_prometheus.db.backends.postgresql",
        ),
    ],
)
def test_redis_url_switches_cache_and_broker(env, cache_backend, always_eager, engine):
    code = (
        "from django.conf import settings as s;"
        "print(s.CACHES['default']['BACKEND'], s.CELERY_TASK_ALWAYS_EAGER, s.CELERY_BROKER_URL, "
        "s.DATABASES['default']['ENGINE'])"
    )
    result = manage("shell", "--verbosity", "0", "-c", code, **env)
    backend, eager, broker, database_engine = result.stdout.split()
    assert backend == cache_backend
    assert eager == str(always_eager)
    assert broker == env.get("REDIS_URL", "memory://")
    assert database_engine == engine  # with metrics on, PostgreSQL behind django-prometheus's counting wrapper


def test_time_zone_and_site_name_come_from_the_environment():
    code = "from django.conf import settings as s; print(s.TIME_ZONE, s.SITE_NAME)"
    result = manage("shell", "--verbosity", "0", "-c", code, DJANGO_TIME_ZONE="Asia/Karachi", SITE_NAME="Dawnwatch")
    assert result.stdout.split() == ["Asia/Karachi", "Dawnwatch"]


@pytest.mark.parametrize(("env", "seconds"), [({}, "60"), ({"REDIS_URL": "redis://127.0.0.1:6379/0"}, "600")])
def test_pages_are_kept_shorter_where_another_process_cannot_empty_the_cache(env, seconds):
    code = "from django.conf import settings as s; print(s.PAGE_CACHE_SECONDS)"
    assert manage("shell", "--verbosity", "0", "-c", code, **env).stdout.split() == [seconds]


def test_beats_poll_and_flush_intervals_come_from_the_environment():
    code = (
        "from django.conf import settings; s = settings.CELERY_BEAT_SCHEDULE\n"
        "print(s['poll-due-sources']['schedule'].total_seconds(), s['flush-views']['schedule'].total_seconds())"
    )
    assert manage("shell", "--verbosity", "0", "-c", code).stdout.split() == ["60.0", "60.0"]
    fast = manage("shell", "--verbosity", "0", "-c", code, FEEDS_SCHEDULE_SECONDS="3", BEAT_FLUSH_VIEWS_SECONDS="5")
    assert fast.stdout.split() == ["3.0", "5.0"]


@pytest.mark.postgres
@pytest.mark.parametrize(("switch", "prepared"), [({}, True), ({"DATABASE_PREPARED_STATEMENTS": "false"}, False)])
def test_postgresql_prepares_a_query_a_connection_repeats_unless_the_operator_turns_it_off(switch, prepared):
    script = (
        "from django.db import connection\n"
        "for _ in range(3):\n"
        "    connection.cursor().execute('SELECT count(*) FROM pg_class WHERE relname = %s', ['pg_class'])\n"
        "cursor = connection.cursor()\n"
        "cursor.execute('SELECT count(*) FROM pg_prepared_statements')\n"
        "print('prepared', cursor.fetchone()[0])\n"
    )
    # The server's own database: the query needs no schema of ours.
    database = {"DATABASE_URL": "postgres://postgres@127.0.0.1:5432/postgres"}
    result = manage("shell", "-c", script, **{**PRODUCTION, **database, **switch})
    assert result.returncode == 0, result.stderr
    count = int(result.stdout.split("prepared")[1])
    assert (count > 0) is prepared
