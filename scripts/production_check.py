"""The production-shaped end-to-end check: what operators install, run the way they run it.

Run it through scripts/check-production, which builds a virtualenv from requirements.txt alone and runs this
file with that virtualenv's Python: every process below comes from the same install. It starts a private
PostgreSQL cluster and a private Redis server on free ports (stopping them harms nobody), then, with
DJANGO_DEBUG=false and a real secret key: collectstatic, gunicorn with 2 workers, `celery worker` and
`celery beat`; adds a source with `addsource` against a local feed server playing tests/data/feeds/rss20.xml;
waits (bounded) for beat and the worker to poll it and the posts to be on /; three readers read a post and
one reads another; beat's flush moves the views to the database and the widget ranks them; /healthz is 200;
Redis is stopped and /healthz answers 503 naming it; every process is stopped and no log holds a traceback
(after Redis is stopped, only connection errors may). The first failing step stops the check, exit status 1.
"""

import re
import shutil
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.system import PROJECT, FeedServer, Process, System, port_open, wait_until  # noqa: E402

BIN = Path(sys.executable).parent
FEED = PROJECT / "tests" / "data" / "feeds" / "rss20.xml"
TITLES = ["Ferry timetable changes from Monday", "Council approves new harbour wall", "Lighthouse open day"]
READERS = [
    "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36",
]
# Beat's intervals made short (documented settings), so a poll and a flush come within seconds, not a minute.
# Originals are not re-checked: the sample feed's links name hosts beyond this machine.
FAST_BEAT = {"FEEDS_SCHEDULE_SECONDS": "3", "BEAT_FLUSH_VIEWS_SECONDS": "5", "ORIGINAL_CHECKS_PER_MINUTE": "0"}
WAIT_SECONDS = 60
# After Redis is stopped on purpose, a traceback (chain) in a log must involve one of these.
CHAINED = ("During handling of the above exception", "The above exception was the direct cause")
CONNECTION_ERRORS = re.compile(r"(ConnectionError|ConnectionRefusedError|OperationalError|TimeoutError)\b")


class CheckFailed(Exception):
    """A step found the system not doing what it should; the message says what."""


class RuntimeSystem(System):
    """bench.system's private servers, with the processes started from this virtualenv's own entry points."""

    @property
    def env(self) -> dict[str, str]:
        return {**super().env, **FAST_BEAT}

    def start_web(self, workers: int = 2) -> Process:
        self.manage("collectstatic", "--no-input", "--verbosity", "0")
        bind = f"127.0.0.1:{self.web_port}"
        web = self.start("web", [str(BIN / "gunicorn"), "newsblog.wsgi", "--workers", str(workers), "--bind", bind])
        wait_until(lambda: port_open(self.web_port) or web.popen.poll() is not None, 30, "gunicorn to listen")
        return web

    def start_worker(self, name: str = "worker", concurrency: int = 2) -> Process:
        return self.start(name, [str(BIN / "celery"), "-A", "newsblog", "worker", "-l", "info", "-c", str(concurrency)])

    def start_beat(self) -> Process:
        schedule = str(self.log_folder / "celerybeat-schedule")
        return self.start("beat", [str(BIN / "celery"), "-A", "newsblog", "beat", "-l", "info", "-s", schedule])

    def fetch(self, path: str, user_agent: str = READERS[0]) -> tuple[int, str]:
        """(status, body) of one GET; status 0 when the connection failed."""
        url = f"http://127.0.0.1:{self.web_port}{path}"
        request = urllib.request.Request(url, headers={"User-Agent": user_agent})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - our own local server
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()
        except OSError:
            return 0, ""


class Check:
    def __init__(self, system: RuntimeSystem, feeds: FeedServer):
        self.system, self.feeds = system, feeds
        self.started = time.monotonic()
        self.post_urls: dict[str, str] = {}
        self.log_sizes_at_redis_stop: dict[Path, int] = {}

    def step(self, name: str, action: Callable[[], str]) -> None:
        print(f"[{time.monotonic() - self.started:6.1f} s] {name} ...", flush=True)
        detail = action()
        print(f"           ok{': ' + detail if detail else ''}", flush=True)

    def expect(self, condition: bool, problem: str) -> None:
        if not condition:
            raise CheckFailed(problem)

    def wait(self, condition: Callable[[], bool], what: str) -> None:
        try:
            wait_until(condition, WAIT_SECONDS, what, interval=0.5)
        except TimeoutError as error:
            raise CheckFailed(str(error)) from None

    def all_alive(self) -> bool:
        return all(process.popen.poll() is None for process in self.system.processes)

    def processes_alive(self) -> None:
        for process in self.system.processes:
            self.expect(process.popen.poll() is None, f"{process.name} exited with {process.popen.returncode}")

    def run(self) -> None:
        self.step("gunicorn (2 workers) with DJANGO_DEBUG=false, after collectstatic", self.web)
        self.step("celery worker and celery beat", self.worker_and_beat)
        self.step("addsource against the local feed server", self.add_source)
        self.step("beat and the worker poll the source; the posts are on /", self.polled)
        self.step("three readers read one post, one reader another", self.read)
        self.step("beat's flush moves the views to the database; the widget ranks them", self.flushed)
        self.step("/healthz is 200", self.healthy)
        self.step("Redis stopped: /healthz is 503 and names it", self.redis_down)
        self.step("every process stops; no traceback in any log", self.stop_all)

    def web(self) -> str:
        self.system.start_web(workers=2)
        self.processes_alive()
        status, _body = self.system.fetch("/")
        self.expect(status == 200, f"/ answered {status}")
        return f"listening on 127.0.0.1:{self.system.web_port}"

    def worker_and_beat(self) -> str:
        worker, beat = self.system.start_worker(), self.system.start_beat()
        self.wait(lambda: "ready." in worker.log.read_text(errors="replace") or not self.all_alive(), "the worker")
        self.processes_alive()
        return f"worker pid {worker.pid}, beat pid {beat.pid}"

    def add_source(self) -> str:
        output = self.system.manage("addsource", self.feeds.base + "gazette.xml")
        self.expect("Added source" in output, f"addsource said: {output}")
        return output.strip().splitlines()[-1]

    def polled(self) -> str:
        shown = {}

        def all_three_on_home() -> bool:
            shown["home"] = self.system.fetch("/")[1]
            return all(title in shown["home"] for title in TITLES)

        self.wait(all_three_on_home, "the three posts on /")
        beat_log = self.log("beat")
        self.expect("feeds.tasks.poll_due_sources" in beat_log, "beat's log shows no poll_due_sources sent")
        worker_log = self.log("worker")
        self.expect(
            re.search(r"feeds\.tasks\.poll_source\[[^\]]+\] succeeded", worker_log) is not None,
            "the worker's log shows no poll_source that succeeded",
        )
        rows = self.shell("from feeds.models import FetchAttempt as F; print(list(F.objects.values_list('outcome')))")
        self.expect("('ok',)" in rows, f"no successful fetch attempt recorded: {rows}")
        # The page that showed them: the other gunicorn worker may still show its own copy of / from before the
        # poll for PAGE_CACHE_LOCAL_SECONDS (the README's staleness bound), so a second fetch could miss them.
        home = shown["home"]
        for title in (TITLES[0], TITLES[2]):
            match = re.search(r'href="(/\d{4}/\d{2}/[^"]+\.html)"[^>]*>\s*' + re.escape(title), home)
            self.expect(match is not None, f"no link to {title!r} on /")
            self.post_urls[title] = match.group(1)
        return f"fetch attempts {rows}; feed requests served: {self.feeds.hits.get('gazette.xml', 0)}"

    def read(self) -> str:
        visits = [(TITLES[0], agent) for agent in READERS] + [(TITLES[2], READERS[0])]
        for title, agent in visits:
            status, body = self.system.fetch(self.post_urls[title], agent)
            self.expect(status == 200 and title in body, f"{self.post_urls[title]} answered {status}")
        return f"{len(visits)} views on {len(self.post_urls)} posts"

    def flushed(self) -> str:
        def ranked() -> bool:
            sidebar = self.system.fetch("/")[1].partition('<aside class="sidebar"')[2]
            popular = sidebar.partition("Popular posts from this blog")[2]
            return TITLES[0] in popular and TITLES[2] in popular and popular.index(TITLES[0]) < popular.index(TITLES[2])

        self.wait(ranked, "the widget on / to rank the read posts")
        code = (
            "from articles.models import Article as A, ArticleDailyViews as D; from django.db.models import Sum\n"
            "print(D.objects.aggregate(v=Sum('views'))['v'], sorted(A.objects.values_list('total_views', flat=True)))"
        )
        counts = self.shell(code)
        self.expect(counts == "4 [0, 1, 3]", f"views in the database: {counts}, expected 4 [0, 1, 3]")
        return f"daily views and totals: {counts}"

    def healthy(self) -> str:
        status, body = self.system.fetch("/healthz")
        self.expect(status == 200, f"/healthz answered {status}: {body}")
        return body

    def redis_down(self) -> str:
        self.log_sizes_at_redis_stop = {log: log.stat().st_size for log in self.logs()}
        self.system.redis.stop()
        status, body = self.system.fetch("/healthz")
        self.expect(status == 503, f"/healthz answered {status} with Redis stopped: {body}")
        failing = re.search(r'"failing": \[([^\]]*)\]', body)
        self.expect(failing is not None and '"redis"' in failing.group(1), f"/healthz does not name redis: {body}")
        return f"failing: [{failing.group(1)}]"

    def stop_all(self) -> str:
        for process in reversed(self.system.processes):
            process.stop()
        found = []
        for log in self.logs():
            text = log.read_bytes().decode(errors="replace")
            expected_after = self.log_sizes_at_redis_stop.get(log, len(text))
            for offset, endings in tracebacks(text):
                # Once Redis is gone, anything a lost connection set off is expected (Celery's own steps too).
                if offset >= expected_after and any(CONNECTION_ERRORS.search(ending) for ending in endings):
                    continue
                found.append(f"{log.name}: {' <- '.join(reversed(endings))}")
        self.expect(not found, "tracebacks in the logs:\n  " + "\n  ".join(found))
        return ", ".join(f"{log.name} {log.stat().st_size} bytes" for log in self.logs())

    def logs(self) -> list[Path]:
        return [process.log for process in self.system.processes]

    def log(self, name: str) -> str:
        return (self.system.log_folder / f"{name}.log").read_text(errors="replace")

    def shell(self, code: str) -> str:
        return self.system.shell(code).strip().splitlines()[-1]


def tracebacks(text: str) -> list[tuple[int, list[str]]]:
    """(offset, exception lines) of every traceback in a log; a chain of them ("during handling ...") is one."""
    found: list[tuple[int, list[str]]] = []
    chained = False
    for match in re.finditer(r"^Traceback \(most recent call last\):$", text, flags=re.MULTILINE):
        rest = [line for line in text[match.end() :].splitlines() if line]
        index = next((i for i, line in enumerate(rest) if not line.startswith((" ", "\t"))), None)
        ending = rest[index] if index is not None else "(cut off)"
        if chained:
            found[-1][1].append(ending)
        else:
            found.append((match.start(), [ending]))
        following = rest[index + 1] if index is not None and index + 1 < len(rest) else ""
        chained = following.startswith(CHAINED)
    return found


def main() -> int:
    print(f"Production-shaped check with {sys.executable}")
    feeds = FeedServer({"gazette.xml": FEED.read_bytes()})
    system = RuntimeSystem()
    started = time.monotonic()
    check = Check(system, feeds)
    try:
        with system:
            check.step("private PostgreSQL and Redis on free ports; migrate", lambda: system.postgres.url)
            check.run()
    except (CheckFailed, RuntimeError, TimeoutError) as error:
        print(f"\nFAILED: {error}", file=sys.stderr)
        for process in system.processes:
            print(f"\n--- last lines of {process.log}:\n{process.tail(40)}", file=sys.stderr)
        return 1
    finally:
        feeds.close()
    shutil.rmtree(system.log_folder, ignore_errors=True)  # kept only when the check fails
    print(f"\nProduction-shaped check passed in {time.monotonic() - started:.0f} s.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
