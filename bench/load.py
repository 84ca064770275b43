"""60 s of wrk at 32 connections over home, post, search and feed URLs while the worker ingests.

First 15 s on a trivial view: the floor of this machine at that moment. Then prints requests/s, p50/p99, errors and
5xx, each part's CPU time, and the resident memory of every process in the first and the last 10 s. Exits 1 on
any error or 5xx, or when a process grew more than 20% (and 20 MB).

gunicorn runs 3 workers, as docs/deploy.md and the Dockerfile run it (--web-workers); beat and the worker poll
about two sources every 5 s, each bringing five new posts.

    .venv/bin/python bench/load.py [--seconds 60] [--connections 32] [--web-workers 3] [--no-ingest]
"""

import argparse
import os
import re
import resource
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.feeds import rss_feed  # noqa: E402
from bench.measure import NotMeasured, not_measured  # noqa: E402
from bench.system import FeedServer, System, rss_kib, tree_cpu_seconds  # noqa: E402

SOURCES, ENTRIES = 20, 30
NEW_PER_FETCH = 5
SCHEDULE_SECONDS = 5
FLOOR_SECONDS = 15
LUA = """
paths = {%s}
counter = 0
request = function()
  counter = counter + 1
  local agent = "Mozilla/5.0 Firefox/128.0 load-" .. counter
  local address = string.format("10.%%d.%%d.%%d", math.floor(counter / 65536) %% 256, math.floor(counter / 256) %% 256,
    counter %% 256)
  return wrk.format("GET", paths[(counter %% #paths) + 1], {["User-Agent"] = agent, ["X-Forwarded-For"] = address})
end
"""


class GrowingFeeds(dict):
    """Each fetch of a feed shows five newer posts than the last, so every poll stores something."""

    def __init__(self, sources: int):
        super().__init__({f"s{i}.xml": b"" for i in range(sources)})
        self.fetches = dict.fromkeys(self, 0)

    def get(self, path, default=None):
        if path not in self.fetches:
            return default
        self.fetches[path] += 1
        # The feed's newest ENTRIES posts: each fetch after the first, five posts have come and five have gone.
        return rss_feed(int(path[1:-4]), ENTRIES, first=NEW_PER_FETCH * (self.fetches[path] - 1))


def stagger_polls(system: System) -> None:
    """Each source polled once a minute, their turns three seconds apart: beat (every SCHEDULE_SECONDS) finds about
    two due each time, and each poll brings five new posts: about 1.7 posts a second, a very busy newsroom.

    Polls are started by beat, as in production: a `manage.py shell` per poll would itself cost the machine about a
    second of CPU every few seconds.
    """
    system.shell(
        "from datetime import timedelta\nfrom django.utils import timezone\nfrom feeds.models import Source\n"
        "now = timezone.now()\n"
        f"for i in range({SOURCES}):\n"
        "    Source.objects.filter(slug=f'load-{i}').update(\n"
        "        poll_interval_minutes=1, next_poll_at=now + timedelta(seconds=5 + 3 * i))\n"
    )


def sample_memory(processes, samples: list, stop: threading.Event) -> None:
    while not stop.wait(1):
        row = {}
        for process in processes:
            for pid in [process.pid, *process.children()]:
                row[f"{process.name}:{pid}"] = rss_kib(pid)
        samples.append((time.monotonic(), row))


def wrk_paths(system: System) -> list[str]:
    code = (
        "from articles.models import Article, Label\nfrom feeds.models import Source\n"
        "posts = [a.get_absolute_url() for a in Article.objects.published()[:20]]\n"
        "extra = [f'/source/{Source.objects.first().slug}/']\n"
        "label = Label.objects.first()\n"
        "extra += [f'/label/{label.slug}/'] if label else []\n"
        "print(' '.join(posts + extra))"
    )
    posts = system.shell(code).split()
    return ["/", "/?page=2", "/search?q=talks", "/search?q=trade+climate", "/rss.xml", "/feeds/posts/default", *posts]


def run_wrk(system: System, paths: list[str], seconds: int, connections: int, folder: Path) -> str:
    script = folder / "mix.lua"
    script.write_text(LUA % ", ".join(f'"{p}"' for p in paths))
    command = ["wrk", "-t", "2", "-c", str(connections), "-d", f"{seconds}s", "--latency", "-s", str(script)]
    result = subprocess.run([*command, f"http://127.0.0.1:{system.web_port}"], capture_output=True, text=True)
    if result.returncode != 0:
        return f"wrk exited with status {result.returncode}\n{result.stdout}{result.stderr}"
    return result.stdout + result.stderr


def floor_line(system: System, connections: int) -> str:
    """The same wrk, readers and web processes on a view that does nothing (FLOOR_SECONDS): what this machine serves
    at best right now, for reading the mix's figures on a machine whose speed moves from run to run."""
    output = run_wrk(system, ["/_bench/trivial"], FLOOR_SECONDS, connections, system.log_folder)
    try:
        figures = wrk_figures(output)
    except NotMeasured as error:
        return f"floor (trivial view): not measured: {error}"
    return (
        f"floor (a trivial view, {FLOOR_SECONDS} s, same connections): requests/s {figures['rps']}  "
        f"p50 {figures['p50']}  p99 {figures['p99']}"
    )


class CpuUse:
    """CPU seconds each part of the system (a process and its children) and wrk used while wrk ran."""

    def __init__(self, pids: dict[str, int]):
        self.pids = pids
        self.started = self._now()

    def _now(self) -> dict[str, float]:
        children = resource.getrusage(resource.RUSAGE_CHILDREN)  # wrk, once it has ended
        return {
            **{name: tree_cpu_seconds(pid) for name, pid in self.pids.items()},
            "wrk": children.ru_utime + children.ru_stime,
            "stolen": stolen_seconds(),
        }

    def stop(self) -> None:
        self.stopped = self._now()

    def report(self, seconds: int) -> str:
        used = {name: self.stopped[name] - self.started[name] for name in self.started}
        stolen = used.pop("stolen")
        parts = "  ".join(f"{name} {value:.1f}" for name, value in used.items())
        return (
            f"CPU seconds over the {seconds} s run (2 cores = {2 * seconds} s): {parts}  all {sum(used.values()):.1f}"
            f"\nCPU seconds the virtual machine's host gave to others (steal): {stolen:.1f}"
        )


def stolen_seconds() -> float:
    """Time the hypervisor ran something else while this machine's CPUs wanted to run (/proc/stat's steal)."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()
    return int(fields[8]) / os.sysconf("SC_CLK_TCK")


def memory_report(samples: list, seconds: int) -> list[tuple[str, int, int]]:
    if not samples:
        return []
    start, end = samples[0][0], samples[-1][0]
    first = [row for t, row in samples if t - start <= 10]
    last = [row for t, row in samples if end - t <= 10]
    report = []
    for name in sorted(samples[-1][1]):
        early = [row[name] for row in first if name in row]
        late = [row[name] for row in last if name in row]
        if early and late:
            report.append((name, sum(early) // len(early), sum(late) // len(late)))
    return report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument(
        "--web-workers", type=int, default=3, help="gunicorn workers (3, as docs/deploy.md and the Dockerfile run it)"
    )
    parser.add_argument(
        "--no-ingest", action="store_true", help="no polls during the run: the same mix, to see what ingest costs it"
    )
    args = parser.parse_args()
    if not shutil.which("wrk"):
        print("wrk is not installed: apt-get install -y wrk", file=sys.stderr)
        return 2
    server = FeedServer(GrowingFeeds(SOURCES))
    settings = {"FEEDS_SCHEDULE_SECONDS": str(SCHEDULE_SECONDS), "NEWSBLOG_BENCH_TRIVIAL_VIEW": "true"}
    with System(settings=settings) as system:
        system.shell(
            "from feeds.models import Source\n"
            f"for i in range({SOURCES}):\n"
            f"    Source.objects.create(name=f'Load {{i}}', slug=f'load-{{i}}', feed_url=f'{server.base}s{{i}}.xml')"
        )
        system.manage("pollfeeds", "--all")
        web, worker = system.start_web(workers=args.web_workers), system.start_worker(concurrency=1)
        beat = system.start_beat()
        paths = wrk_paths(system)
        print(f"{len(paths)} URLs in the mix; warming up ...", flush=True)
        for path in paths:
            system.get(path)
        print(floor_line(system, args.connections), flush=True)
        stop, samples = threading.Event(), []
        threads = [
            threading.Thread(target=sample_memory, args=([web, worker, beat], samples, stop), daemon=True),
        ]
        for thread in threads:
            thread.start()
        posts_before = int(system.shell("from articles.models import Article; print(Article.objects.count())"))
        if not args.no_ingest:
            stagger_polls(system)
        cpu = CpuUse(
            {
                "web": web.pid,
                "worker": worker.pid,
                "beat": beat.pid,
                "postgres": system.postgres.pid,
                "redis": system.redis.process.pid,
            }
        )
        output = run_wrk(system, paths, args.seconds, args.connections, system.log_folder)
        cpu.stop()
        stop.set()
        posts_after = int(system.shell("from articles.models import Article; print(Article.objects.count())"))
        print(output)
        print(f"posts ingested during the run: {posts_after - posts_before}")
        print(cpu.report(args.seconds))
        return report(output, memory_report(samples, args.seconds))


def report(output: str, memory: list[tuple[str, int, int]]) -> int:
    """Print the figures and the result line; 1 when anything failed or could not be measured."""
    try:
        figures = wrk_figures(output)
        if not memory:
            raise NotMeasured("no memory samples of the web and worker processes")
    except NotMeasured as error:
        return not_measured(error)
    print(
        f"requests/s {figures['rps']}  p50 {figures['p50']}  p99 {figures['p99']}  "
        f"non-2xx/3xx {figures['non_2xx']}  socket errors {figures['socket_errors']}"
    )
    print("process memory (RSS MiB): first 10 s -> last 10 s")
    grew = []
    for name, early, late in memory:
        print(f"  {name:28} {early / 1024:7.1f} -> {late / 1024:7.1f}")
        if late > early * 1.2 and late - early > 20 * 1024:
            grew.append(name)
    failed = figures["non_2xx"] or figures["socket_errors"] or grew
    print("RESULT:", "FAILED" if failed else "ok", f"(grew: {grew})" if grew else "")
    return 1 if failed else 0


def wrk_figures(output: str) -> dict:
    """Throughput, latency and errors from wrk --latency output; NotMeasured when a figure is missing.

    wrk leaves out the error lines when there were none, so only those may default to 0.
    """
    requests = re.search(r"(\d+) requests in ", output)
    if not requests or int(requests[1]) == 0:
        raise NotMeasured("wrk made no requests: " + (output.strip().splitlines() or ["no output"])[0])
    found = {name: re.search(pattern, output) for name, pattern in WRK_FIGURES.items()}
    missing = [name for name, match in found.items() if match is None]
    if missing:
        raise NotMeasured(f"wrk's output has no {', '.join(missing)}")
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket_errors = re.search(r"Socket errors: (.*)", output)
    return {
        **{name: match[1] for name, match in found.items()},
        "non_2xx": int(non_2xx[1]) if non_2xx else 0,
        "socket_errors": sum(int(n) for n in re.findall(r"\d+", socket_errors[1])) if socket_errors else 0,
    }


WRK_FIGURES = {"rps": r"Requests/sec:\s+([\d.]+)", "p50": r"50%\s+(\S+)", "p99": r"99%\s+(\S+)"}


if __name__ == "__main__":
    sys.exit(main())
