"""Which real services the test run has: PostgreSQL (DATABASE_URL) and Redis (REDIS_URL)."""

import os

import pytest
from django.db import connection

IN_CI = os.environ.get("CI", "").lower() == "true"


def has_postgres() -> bool:
    return connection.vendor == "postgresql"


def has_redis() -> bool:
    return bool(os.environ.get("REDIS_URL"))


def require(marker: str) -> None:
    """Skip a test whose service is missing; in CI, where it must run, fail instead."""
    available = {"postgres": has_postgres, "redis": has_redis}[marker]()
    if available:
        return
    message = f"needs {marker}, which this run does not have (see `make test` output)"
    if IN_CI:
        pytest.fail(f"{message}; in CI every test must run")
    pytest.skip(message)
