"""Test settings: the project's own, with each xdist worker on its own Redis database."""

import os
from urllib.parse import urlsplit, urlunsplit

from newsblog.settings import *  # noqa: F403
from newsblog.settings import CACHES, REDIS_URL

WORKER = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
WORKER_INDEX = int(WORKER.removeprefix("gw") or 0)


def redis_url_for_worker(url: str, index: int) -> str:
    """The same server, the next databases after REDIS_URL's own, one per worker, so parallel tests never share keys."""
    parts = urlsplit(url)
    base = int(parts.path.strip("/") or 0)
    return urlunsplit(parts._replace(path=f"/{base + 1 + index}"))


if REDIS_URL:
    REDIS_URL = redis_url_for_worker(REDIS_URL, WORKER_INDEX)
    CACHES["default"]["LOCATION"] = REDIS_URL
    CELERY_BROKER_URL = REDIS_URL

# Changes show at once in tests; tests/articles/test_hotpages.py turns the in-process page layer on.
PAGE_CACHE_LOCAL_SECONDS = 0
# Tasks run in-process unless a test starts a real worker itself.
CELERY_TASK_ALWAYS_EAGER = True
# Upstream feeds in tests are served from 127.0.0.1.
FEEDS_ALLOW_PRIVATE_ADDRESSES = True
# Every test upstream is the one host 127.0.0.1: no gap between request starts, unless the environment sets one
# (the politeness tests set it, or FEEDS_HOST_MIN_GAP_MS for the worker processes they start).
if "FEEDS_HOST_MIN_GAP_MS" not in os.environ:
    FEEDS_HOST_MIN_GAP_MS = 0
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Serve static files from the finders, as in development; tests never run collectstatic.
WHITENOISE_AUTOREFRESH = True

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # An SQLite file, as the embedded default has, not Django's shared in-memory database: with that one the live
    # server's threads would share the test's own connection, so a request answered while the test writes (a hub
    # verifying a subscription) runs inside the test's transaction. pytest-django adds each xdist worker's suffix.
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / "test-db.sqlite3")}  # noqa: F405
