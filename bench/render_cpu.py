"""CPU time and queries per request of pages served in this process, through Django's whole request path.

Run by bench/pages.py in a child process with the environment it gives gunicorn (so PAGE_CACHE_SECONDS=0 renders
every page, DEBUG is off and templates come from the cached loader); prints one JSON object: for each path, the
least of --rounds rounds of CPU milliseconds per request (time.process_time over --requests requests, after
warming up; other load on the machine only ever adds to it), the SQL queries and the Redis round trips one
request makes. CPU time leaves out waiting for PostgreSQL and Redis, so it moves less with other load than req/s.

    .venv/bin/python bench/render_cpu.py / /2026/07/some-post.html --names home,post [--readers] [--profile]

--readers sends each request as a new reader (a browser's User-Agent and its own X-Forwarded-For), so post
views are counted as a person's; without it requests carry no User-Agent, as wrk's do, and count nothing.
--cycle spreads the requests over all the paths given, as one page. PROFILE_SORT=tottime sorts --profile.
"""

import argparse
import cProfile
import importlib
import io
import itertools
import json
import os
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


PROFILE_SORT = os.environ.get("PROFILE_SORT", "cumulative").split(",")


def main() -> int:
    args = _arguments()
    application = importlib.import_module(args.wsgi).application  # sets Django up

    if args.cycle:
        groups = {args.names or "cycle": args.paths}
    else:
        names = args.names.split(",") if args.names else args.paths
        groups = {name: [path] for name, path in zip(names, args.paths, strict=True)}
    result = {}
    for name, paths in groups.items():
        request = _Requester(application, readers=args.readers)
        for path in paths * 2:
            request(path)  # warm: connections, templates, the caches of pages, post cards and widgets
        turn = itertools.cycle(paths)  # rounds go on where the last one stopped
        if args.profile:
            _profile(request, turn, args.requests)
        rounds = [_cpu_ms_per_request(request, turn, args.requests) for _ in range(args.rounds)]
        result[name] = {
            "cpu_ms": min(rounds),
            "queries": _queries(request, paths[0]),
            "redis": _redis_calls(request, paths[0]),
            "status": request(paths[0]),
        }
    print(json.dumps(result))
    return 0


class _Requester:
    """Calls the WSGI application as gunicorn would, and answers the response's status."""

    def __init__(self, application, *, readers: bool):
        self.application, self.readers, self.count = application, readers, 0

    def __call__(self, path: str) -> int:
        self.count += 1
        statuses = []
        body = self.application(self._environ(path), lambda status, headers, exc_info=None: statuses.append(status))
        for _chunk in body:
            pass
        if hasattr(body, "close"):
            body.close()
        return int(statuses[0].split()[0])

    def _environ(self, path: str) -> dict:
        from django.test.client import RequestFactory

        path, _, query = path.partition("?")
        extra = {"QUERY_STRING": query, "REMOTE_ADDR": "127.0.0.1", "SERVER_NAME": "127.0.0.1"}
        if self.readers:
            n = self.count
            extra["HTTP_USER_AGENT"] = f"Mozilla/5.0 Firefox/128.0 reader-{n}"
            extra["HTTP_X_FORWARDED_FOR"] = f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}"
        environ = RequestFactory()._base_environ(PATH_INFO=path, **extra)
        environ["HTTP_HOST"] = "127.0.0.1"
        return environ


def _cpu_ms_per_request(request, turn, count: int) -> float:
    started = time.process_time()
    for _ in range(count):
        request(next(turn))
    return (time.process_time() - started) / count * 1000


def _queries(request, path: str) -> int:
    from django.db import connection

    queries = []
    with connection.execute_wrapper(lambda execute, sql, *rest: queries.append(sql) or execute(sql, *rest)):
        request(path)
    return len(queries)


def _redis_calls(request, path: str) -> int:
    """Round trips to Redis one request makes (commands and pipelines sent on any connection)."""
    from redis.connection import Connection

    calls = []
    original = Connection.send_packed_command

    def counted(self, command, check_health=True):
        calls.append(1)
        return original(self, command, check_health)

    Connection.send_packed_command = counted
    try:
        request(path)
    finally:
        Connection.send_packed_command = original
    return len(calls)


def _profile(request, turn, count: int) -> None:
    profile = cProfile.Profile(time.process_time)
    profile.enable()
    for _ in range(count):
        request(next(turn))
    profile.disable()
    out = io.StringIO()
    pstats.Stats(profile, stream=out).sort_stats(*PROFILE_SORT).print_stats(60)
    print(out.getvalue(), file=sys.stderr)


def _arguments():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+")
    parser.add_argument("--names", help="comma-separated names for the paths in the output")
    parser.add_argument("--requests", type=int, default=150, help="requests per round")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--readers", action="store_true", help="each request a new reader (views counted)")
    parser.add_argument("--cycle", action="store_true", help="spread the requests over all the paths as one page")
    parser.add_argument("--wsgi", default="newsblog.wsgi", help="the module whose application serves the requests")
    parser.add_argument("--profile", action="store_true", help="print a cProfile of one round to stderr")
    return parser.parse_intermixed_args()


if __name__ == "__main__":
    sys.exit(main())
