"""Print `export`/`unset` lines for the services this machine has; say plainly what is missing.

The test command evals the output. In CI (CI=true) a missing service is an error.
"""

import os
import socket
import sys
from urllib.parse import urlsplit

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/newsblog"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"


def answers(url: str, default_port: int) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or default_port), timeout=2):
            return True
    except OSError:
        return False


def main() -> int:
    in_ci = os.environ.get("CI", "").lower() == "true"
    database_url = os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    redis_url = os.environ.get("REDIS_URL") or DEFAULT_REDIS_URL
    missing = []
    if answers(database_url, 5432):
        print(f"export DATABASE_URL='{database_url}'")
    else:
        missing.append(f"PostgreSQL at {urlsplit(database_url).netloc}")
        print("unset DATABASE_URL")
    if answers(redis_url, 6379):
        print(f"export REDIS_URL='{redis_url}'")
    else:
        missing.append(f"Redis at {urlsplit(redis_url).netloc}")
        print("unset REDIS_URL")
    for service in missing:
        print(f"NOTE: no {service}: running on the embedded default; tests that need it will skip.", file=sys.stderr)
    if missing and in_ci:
        print("CI=true: every service must answer; start them (see .ci/run) and try again.", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
