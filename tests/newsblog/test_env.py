import pytest
from django.core.exceptions import ImproperlyConfigured

from newsblog.env import env_bool, env_database, env_int, env_list, env_redis_url


def test_database_url_for_postgres_is_parsed(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://news:s%40cret@db.internal:5433/newsblog")
    database = env_database("DATABASE_URL", "sqlite:///x")
    assert database["ENGINE"] == "django.db.backends.postgresql"
    assert (database["HOST"], database["PORT"], database["NAME"], database["PASSWORD"]) == (
        "db.internal",
        5433,
        "newsblog",
        "s@cret",
    )


def test_unset_database_url_falls_back_to_the_default(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert env_database("DATABASE_URL", "sqlite:////tmp/x.sqlite3")["NAME"] == "/tmp/x.sqlite3"


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("mysql://root@localhost/news", "not a database URL newsblog can use"),
        ("localhost:5432", "not a database URL newsblog can use"),
        ("postgres://user:pw@host:notaport/db", "could not be read"),
    ],
)
def test_bad_database_url_names_the_variable_and_the_expected_form(monkeypatch, url, says):
    monkeypatch.setenv("DATABASE_URL", url)
    with pytest.raises(ImproperlyConfigured, match=says) as error:
        env_database("DATABASE_URL", "sqlite:///x")
    assert "DATABASE_URL" in str(error.value)
    assert "postgres://USER:PASSWORD@HOST:PORT/NAME" in str(error.value)


@pytest.mark.parametrize(("raw", "expected"), [("true", True), ("0", False), ("Yes", True), ("off", False)])
def test_yes_no_values(monkeypatch, raw, expected):
    monkeypatch.setenv("FLAG", raw)
    assert env_bool("FLAG", default=not expected) is expected


def test_a_yes_no_value_that_is_neither_is_an_error(monkeypatch):
    monkeypatch.setenv("DJANGO_DEBUG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="DJANGO_DEBUG='maybe' is not a yes/no value"):
        env_bool("DJANGO_DEBUG", default=True)


def test_numbers_and_lists(monkeypatch):
    monkeypatch.setenv("N", " 42 ")
    monkeypatch.setenv("HOSTS", "news.example.com, www.news.example.com,")
    assert env_int("N", 1) == 42
    assert env_list("HOSTS", []) == ["news.example.com", "www.news.example.com"]
    monkeypatch.setenv("N", "forty")
    with pytest.raises(ImproperlyConfigured, match="not a whole number"):
        env_int("N", 1)


def test_redis_url_must_be_redis(monkeypatch):
    monkeypatch.setenv("REDIS_URL", "http://127.0.0.1:6379")
    with pytest.raises(ImproperlyConfigured, match="not a Redis URL"):
        env_redis_url("REDIS_URL")
