"""Benchmark the reader's pages as production serves them.

gunicorn (2 workers) on PostgreSQL and Redis with 10,000 posts, loaded by wrk with 16 connections on
/, a post page, a source page, a label page, a search and a trivial view served by the same process (the
baseline). Prints the archive's size, req/s, p50 and p99 for each, their ratio to the trivial view, and the
time of cold post renders; then the same pages rendered on every request (PAGE_CACHE_SECONDS=0).

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/nb_reader REDIS_URL=redis://127.0.0.1:6379/3
    .venv/bin/python bench/pages.py [--posts 10000] [--duration 10] [--no-uncached]

--metrics-cost also serves the cached home and post pages with metrics on and off (METRICS_ENABLED, gunicorn
with gunicorn.conf.py as in production, so prometheus-client's multiprocess mode), two servers loaded in turns
for --metrics-rounds rounds, and prints both req/s, gunicorn's CPU time per request and the cost (the share of
req/s lost at saturation, from CPU per request); --metrics-cost-only runs just that pass.

--ingest-every 10 also loads a mix of home, post, source and label pages twice, without ingest and
while a poll stores a new post every 10 s (each poll starts a new page-cache generation), and prints the
share of req/s kept and the p99. --posts 1000000 fills the archive in PostgreSQL itself
(INSERT ... SELECT, about a minute per 250,000 posts) and is kept for later runs.

Every run first prints the CPU milliseconds, SQL queries and Redis round trips of one uncached render of the
home and a post page, measured in-process (bench/render_cpu.py). --page-script-cost also serves cached post pages
to readers with and without the script that reads the page and counts its view in one Redis round trip (CPU per
request in-process, and req/s under wrk) for one post and for 600 posts in turn; --page-script-cost-only runs
just that pass.

Needs wrk (Debian: apt-get install wrk). The database named by DATABASE_URL is migrated and filled
with benchmark posts; use a database of its own.
"""

import argparse
import http.client
import json
import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
WORDS = [
    "economy",
    "trade",
    "talks",
    "minister",
    "election",
    "climate",
    "court",
    "market",
    "energy",
    "health",
    "border",
    "summit",
    "rally",
    "vote",
    "budget",
    "strike",
    "river",
    "storm",
    "police",
    "school",
    "inflation",
    "bank",
    "treaty",
    "protest",
    "harvest",
    "festival",
]
# Cached pages against the trivial view, and uncached pages in req/s (the read-path issue's targets).
TARGETS = {"home": 0.75, "post": 0.70}
UNCACHED_TARGETS = {"home": 300, "post": 300}
INGEST_KEEPS, INGEST_P99_MS = 0.80, 50
# Recording metrics may cost at most this share of a cached page's req/s.
METRICS_COST = 0.03
SQL_FILL_BATCH = 250_000


def main() -> int:
    args = _arguments()
    if not shutil.which("wrk"):
        print("wrk is not installed. On Debian/Ubuntu: sudo apt-get install wrk", file=sys.stderr)
        return 2
    if not os.environ.get("DATABASE_URL", "").startswith("postgres") or not os.environ.get("REDIS_URL"):
        print("Set DATABASE_URL (PostgreSQL) and REDIS_URL: the benchmark runs the production setup.", file=sys.stderr)
        return 2
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsblog.settings")
    os.environ["FEEDS_ALLOWED_NETWORKS"] = "127.0.0.0/8"  # this process polls a feed served on loopback
    import django

    django.setup()
    urls = _prepare(args.posts)
    if args.metrics_cost or args.metrics_cost_only:
        _report_metrics_cost(_metrics_on_and_off(urls, args), args)
        if args.metrics_cost_only:
            return 0
    if args.page_script_cost or args.page_script_cost_only:
        _report_page_script_cost(args)
        if args.page_script_cost_only:
            return 0
    _report_render_cpu(urls)
    cold, results = _serve_and_load(urls, args, page_cache=True)
    _report(results, cold, args)
    if args.uncached:
        _, uncached = _serve_and_load(urls, args, page_cache=False)
        _report_uncached(uncached, results["trivial"]["rps"], args)
    if args.ingest_every:
        _report_ingest(*_mix_with_and_without_ingest(args), args)
    return 0


def _mix_paths() -> list[str]:
    from articles.models import Article, Label
    from feeds.models import Source

    posts = [post.get_absolute_url() for post in Article.objects.published().newest_first()[:200:20]]
    sources = [f"/source/{source.slug}/" for source in Source.objects.filter(slug__startswith="bench-")[:3]]
    labels = [f"/label/{label.slug}/" for label in Label.objects.filter(slug__startswith="bench-")[:3]]
    return ["/", "/", "/?page=2", *posts, *sources, *labels]


class OneMorePostFeed(dict):
    """A feed whose every fetch carries one post more than the last: each poll stores exactly one."""

    def __init__(self, run: str):
        super().__init__({"grow.xml": b""})
        self.run, self.fetches = run, 0

    def get(self, path, default=None):
        if path != "grow.xml":
            return default
        self.fetches += 1
        run = self.run
        items = "".join(
            f"<item><title>Breaking {run} update {n}</title><link>https://news.example/grow/{run}/{n}</link>"
            f"<guid>grow-{run}-{n}</guid><description>Update {n} of the story.</description></item>"
            for n in range(self.fetches)
        )
        return f'<?xml version="1.0"?><rss version="2.0"><channel><title>Grow</title>{items}</channel></rss>'.encode()


def _keep_polling(every: int, stop, polls: list) -> None:
    from django.db import connection

    from bench.system import FeedServer
    from feeds.models import Source
    from feeds.services import feed_poll

    feeds = OneMorePostFeed(secrets.token_hex(3))
    server = FeedServer(feeds)
    source = Source.objects.create(
        name=f"Growing {feeds.run}", slug=f"grow-{feeds.run}", feed_url=f"{server.base}grow.xml"
    )
    try:
        while not stop.wait(every):
            attempt = feed_poll(source=Source.objects.get(pk=source.pk))
            polls.append((attempt.outcome, attempt.entries_new))
    finally:
        connection.close()


def _mix_with_and_without_ingest(args) -> tuple[dict, dict, list]:
    import tempfile
    import threading

    from bench.load import LUA  # the load test's mix: each request a new reader (address and user agent)

    paths = _mix_paths()
    port = _free_port()
    server = _start_gunicorn(port, page_cache=True)
    try:
        _wait_until_up(port)
        with tempfile.TemporaryDirectory() as folder:
            script = Path(folder) / "mix.lua"
            script.write_text(LUA % ", ".join(f'"{path}"' for path in paths))
            quiet = _wrk(f"http://127.0.0.1:{port}", args.ingest_duration, args.connections, script)
            stop, polls = threading.Event(), []
            poller = threading.Thread(target=_keep_polling, args=(args.ingest_every, stop, polls))
            poller.start()
            try:
                busy = _wrk(f"http://127.0.0.1:{port}", args.ingest_duration, args.connections, script)
            finally:
                stop.set()
                poller.join()
        return quiet, busy, polls
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def _report_ingest(quiet: dict, busy: dict, polls: list, args) -> None:
    stored = sum(new for _, new in polls)
    if not polls or stored == 0:
        raise SystemExit(f"the ingest pass stored nothing (polls: {polls}): it measured no ingest")
    kept = busy["rps"] / quiet["rps"]
    print(
        f"\nmix of home, post, source and label pages, {args.ingest_duration}s each, wrk -c{args.connections}:\n"
        f"  without ingest: {quiet['rps']:.0f} req/s, p99 {quiet['p99']:.1f} ms, errors {quiet['errors']}\n"
        f"  a poll every {args.ingest_every} s ({len(polls)} polls, {stored} posts stored): {busy['rps']:.0f} req/s, "
        f"p99 {busy['p99']:.1f} ms, errors {busy['errors']}\n"
        f"  kept {kept:.0%} of req/s (target >= {INGEST_KEEPS:.0%}: {'ok' if kept >= INGEST_KEEPS else 'MISSED'}); "
        f"p99 target <= {INGEST_P99_MS} ms: {'ok' if busy['p99'] <= INGEST_P99_MS else 'MISSED'}"
    )


def _serve_and_load(urls: dict, args, *, page_cache: bool) -> tuple[list[float], dict]:
    port = _free_port()
    server = _start_gunicorn(port, page_cache=page_cache)
    try:
        _wait_until_up(port)
        base = f"http://127.0.0.1:{port}"
        cold = _cold_post_renders(port, count=30) if page_cache else []
        chosen = urls if page_cache else {name: urls[name] for name in ("trivial", "home", "post", "source", "label")}
        return cold, {name: _wrk(base + path, args.duration, args.connections) for name, path in chosen.items()}
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def _metrics_on_and_off(urls: dict, args) -> dict[tuple[str, bool], list[dict]]:
    """(page, metrics on?) -> each burst's req/s and gunicorn's CPU time per request.

    Both servers run side by side and take turns under load in short bursts, so whatever else the machine
    does harms both alike; CPU per request moves less with other load than req/s does.
    """
    servers = {}
    try:
        for metrics in (True, False):
            port = _free_port()
            servers[metrics] = (port, _start_gunicorn(port, page_cache=True, metrics=metrics))
            _wait_until_up(port)
        rounds: dict[tuple[str, bool], list[dict]] = {}
        for _round in range(args.metrics_rounds):
            for name in ("home", "post"):
                for metrics, (port, server) in servers.items():
                    url = f"http://127.0.0.1:{port}{urls[name]}"
                    if not _round:
                        _wrk(url, 2, args.connections, warm=False)
                    cpu = _group_cpu_seconds(server.pid)
                    result = _wrk(url, args.duration, args.connections, warm=False)
                    result["cpu_us"] = (_group_cpu_seconds(server.pid) - cpu) / result["requests"] * 1e6
                    rounds.setdefault((name, metrics), []).append(result)
        return rounds
    finally:
        for _port, server in servers.values():
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)


def _group_cpu_seconds(group: int) -> float:
    """User and system CPU seconds used so far by every process of a process group (gunicorn and its workers)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the process ended meanwhile
        if int(fields[2]) == group:
            total += int(fields[11]) + int(fields[12])
    return total / ticks


def _report_metrics_cost(rounds: dict[tuple[str, bool], list[dict]], args) -> None:
    print(
        f"\nmetrics cost on cached pages: gunicorn 2 workers with gunicorn.conf.py, wrk -c{args.connections} "
        f"{args.duration}s bursts, {args.metrics_rounds} alternating rounds (median)"
    )
    for name in ("home", "post"):
        on, off = rounds[(name, True)], rounds[(name, False)]
        rps_on, rps_off = (statistics.median(r["rps"] for r in side) for side in (on, off))
        cpu_on, cpu_off = (statistics.median(r["cpu_us"] for r in side) for side in (on, off))
        # Capacity is CPU: req/s a saturated server keeps falls as CPU per request grows.
        cost = 1 - cpu_off / cpu_on
        print(
            f"  {name:<5} metrics on {rps_on:>6.0f} req/s {cpu_on:>6.0f} us CPU/req; off {rps_off:>6.0f} req/s "
            f"{cpu_off:>6.0f} us CPU/req: cost {cost:>5.1%} of req/s at saturation "
            f"(target <= {METRICS_COST:.0%}: {'ok' if cost <= METRICS_COST else 'MISSED'})"
        )


def _render_cpu(paths: dict[str, str], *, page_cache: bool, extra: tuple = ()) -> dict:
    """bench/render_cpu.py's figures for these pages, served in a child process with gunicorn's environment."""
    command = [sys.executable, str(ROOT / "bench/render_cpu.py"), "--names", ",".join(paths), *paths.values()]
    env = _production_env(page_cache=page_cache)
    _collect_static(env)
    output = subprocess.run([*command, *extra], cwd=ROOT, env=env, check=True, capture_output=True, text=True)
    return json.loads(output.stdout)


def _report_render_cpu(urls: dict) -> None:
    """CPU per uncached render in-process: what bounds uncached req/s, and moves little with other load."""
    pages = {name: urls[name] for name in ("trivial", "home", "post")}
    found = _render_cpu(pages, page_cache=False)
    print(f"\ncold render CPU per request in-process (PAGE_CACHE_SECONDS=0, least of 7 rounds): {_archive_size()}")
    for name, figures in found.items():
        print(
            f"  {name:<8} {figures['cpu_ms']:>6.2f} ms CPU, {figures['queries']} SQL queries, "
            f"{figures['redis']} Redis round trips"
        )
    print(
        "  every page is rendered per request; fragments keyed by what they show are read from the cache: post "
        "cards, a post's approved comments, the sidebar widgets; the blank comment form's fields once per process"
    )


def _report_page_script_cost(args) -> None:
    """Cached post pages served to readers (views counted) with and without the script that reads the page and
    counts the view in one round trip (articles/view_counter.py CACHED_PAGE_LUA), in-process CPU per request."""
    from articles.models import Article

    posts = [post.get_absolute_url() for post in Article.objects.published().newest_first()[1000:1600]]
    print(
        "\ncached post page for readers (views counted), with and without the cached-page script: in-process CPU "
        "per request (least of 7 rounds), one post read over and over, and 600 posts in turn (past the per-process "
        "hot layer's 256 pages, as a long tail of posts is)"
    )
    for label, cycle in (("one post", False), ("600 posts", True)):
        extra = ("--readers", "--cycle", *posts[1:]) if cycle else ("--readers",)
        cpu = {}
        for wsgi in ("newsblog.wsgi", "bench.wsgi_no_page_script"):
            found = _render_cpu({"post": posts[0]}, page_cache=True, extra=(*extra, "--wsgi", wsgi))
            cpu[wsgi] = found["post"]["cpu_ms"]
        saved = 1 - cpu["newsblog.wsgi"] / cpu["bench.wsgi_no_page_script"]
        rps = {wsgi: _readers_rps(posts if cycle else posts[:1], args, wsgi) for wsgi in cpu}
        print(
            f"  {label:<10} with {cpu['newsblog.wsgi']:.2f} ms, without {cpu['bench.wsgi_no_page_script']:.2f} ms: "
            f"the script saves {saved:.0%} of the CPU per request (keep it if > 5%); served by gunicorn, wrk "
            f"-c{args.connections} {args.duration}s: {rps['newsblog.wsgi']:.0f} req/s with, "
            f"{rps['bench.wsgi_no_page_script']:.0f} without"
        )


def _readers_rps(paths: list[str], args, wsgi: str) -> float:
    """req/s of cached post pages served to readers (each request a new one, as bench/load.py sends them)."""
    import tempfile

    from bench.load import LUA

    port = _free_port()
    server = _start_gunicorn(port, page_cache=True, wsgi=wsgi)
    try:
        _wait_until_up(port)
        with tempfile.TemporaryDirectory() as folder:
            script = Path(folder) / "readers.lua"
            script.write_text(LUA % ", ".join(f'"{path}"' for path in paths))
            for path in paths:
                _get(port, path)  # every page cached before the load
            return _wrk(f"http://127.0.0.1:{port}", args.duration, args.connections, script)["rps"]
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def _arguments():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=10_000)
    parser.add_argument("--duration", type=int, default=10, help="seconds of load per URL")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--ingest-every", type=int, default=0, help="seconds between polls in the ingest pass")
    parser.add_argument("--ingest-duration", type=int, default=30, help="seconds of load with and without ingest")
    parser.add_argument("--metrics-cost", action="store_true", help="also measure cached pages with metrics on/off")
    parser.add_argument("--metrics-cost-only", action="store_true", help="measure only the metrics cost")
    parser.add_argument("--metrics-rounds", type=int, default=6, help="alternating on/off rounds of --metrics-cost")
    parser.add_argument(
        "--page-script-cost", action="store_true", help="also measure cached post pages with and without the script"
    )
    parser.add_argument("--page-script-cost-only", action="store_true", help="measure only the page script's cost")
    parser.add_argument(
        "--no-uncached", dest="uncached", action="store_false", help="skip the PAGE_CACHE_SECONDS=0 pass"
    )
    return parser.parse_args()


def _prepare(posts: int) -> dict[str, str]:
    """Migrate, fill the database up to `posts` posts; return the paths to load."""
    from django.core.management import call_command
    from django.db import connection

    from articles.models import Article, Label
    from feeds.models import Source

    call_command("migrate", verbosity=0)
    missing = posts - Article.objects.count()
    if missing > 0:
        print(f"Creating {missing} posts ...", flush=True)
        if missing > 20_000:
            _create_posts_in_sql(missing)
        else:
            _create_posts(missing)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    source = Source.objects.filter(slug__startswith="bench-").order_by("id").first()
    label = Label.objects.get(slug=f"bench-{WORDS[1]}")
    return {
        "trivial": "/_bench/trivial",
        "home": "/",
        "post": Article.objects.published().newest_first()[posts // 2].get_absolute_url(),
        "source": f"/source/{source.slug}/",
        "label": f"/label/{label.slug}/",
        "search": "/search?q=trade+minister",
    }


def _create_posts(count: int) -> None:
    import random
    from datetime import timedelta

    from django.utils import timezone

    from articles.models import Article, Comment, Label
    from feeds.models import Source

    rng = random.Random(4)
    run = secrets.token_hex(3)
    sources = [
        Source.objects.create(
            name=f"Bench source {run}-{n}", slug=f"bench-{run}-{n}", feed_url=f"https://b{run}{n}.example/feed"
        )
        for n in range(20)
    ]
    labels = [
        Label.objects.get_or_create(slug=f"bench-{word}", defaults={"name": f"bench {word}"})[0] for word in WORDS
    ]
    now = timezone.now()
    for start in range(0, count, 1000):
        batch = []
        for n in range(start, min(count, start + 1000)):
            published = now - timedelta(minutes=37 * n)
            local = timezone.localtime(published)
            words = " ".join(rng.choice(WORDS) for _ in range(60))
            batch.append(
                Article(
                    source=sources[n % len(sources)],
                    guid=f"bench-{run}-{n}",
                    url=f"https://news.example/{run}/{n}",
                    title=f"{rng.choice(WORDS).title()} {rng.choice(WORDS)} and {rng.choice(WORDS)} ({n})",
                    slug=f"bench-{run}-{n}",
                    url_year=local.year,
                    url_month=local.month,
                    author="Bench Reporter",
                    body_html="".join(f"<p>{words}.</p>" for _ in range(8)),
                    excerpt=words[:600],
                    published_at=published,
                )
            )
        created = Article.objects.bulk_create(batch)
        through = Article.labels.through
        through.objects.bulk_create(
            [through(article_id=a.id, label_id=label.id) for a in created for label in rng.sample(labels, 3)]
        )
        Comment.objects.bulk_create(
            [
                Comment(article=created[0], author_name="Bench", body=f"Comment {i}", status="approved")
                for i in range(20)
            ]
        )


def _create_posts_in_sql(count: int) -> None:
    """Posts made by PostgreSQL itself, like _create_posts' but a million in minutes: text from the same words."""
    import time as clock

    from django.db import connection

    from articles.models import Label

    _create_posts(1)  # the sources and labels, made as _create_posts makes them
    labels = list(Label.objects.filter(slug__in=[f"bench-{word}" for word in WORDS]).values_list("id", flat=True))
    words = "ARRAY[" + ",".join(f"'{word}'" for word in WORDS) + "]"
    with connection.cursor() as cursor:
        cursor.execute("SELECT id FROM feeds_source WHERE slug LIKE 'bench-%' ORDER BY id DESC LIMIT 20")
        sources = [row[0] for row in cursor.fetchall()]
        cursor.execute("SELECT coalesce(max(id), 0) FROM articles_article")
        first = cursor.fetchone()[0] + 1
        for start in range(0, count, SQL_FILL_BATCH):
            size = min(SQL_FILL_BATCH, count - start)
            began = clock.monotonic()
            cursor.execute(_FILL_SQL.format(words=words, sources=f"ARRAY{sources}", first=first + start, size=size))
            cursor.execute(_FILL_LABELS_SQL.format(labels=f"ARRAY{labels}", first=first + start, size=size))
            print(f"  {start + size:,} of {count:,} posts ({clock.monotonic() - began:.0f} s)", flush=True)


_FILL_SQL = """
INSERT INTO articles_article (guid, url, title, slug, url_year, url_month, author, body_html, excerpt, image_url,
    published_at, fetched_at, updated_at, content_hash, status, is_featured, total_views, edited_by_editor, source_id)
SELECT 'sql-bench-' || n, 'https://news.example/sql/' || n, initcap(w[1 + n % 26]) || ' ' || w[1 + n / 26 % 26]
       || ' and ' || w[1 + n / 676 % 26] || ' (' || n || ')', 'sql-bench-' || n,
       extract(year FROM at)::int, extract(month FROM at)::int, 'Bench Reporter',
       repeat('<p>' || text || '.</p>', 8), left(text, 600), '', at, now(), now(), '', 'published', false, 0, false,
       ({sources})[1 + n % 20]
FROM generate_series({first}, {first} + {size} - 1) n,
     LATERAL (SELECT {words} AS w, now() - n * interval '37 minutes' AS at) fixed,
     LATERAL (SELECT string_agg(fixed.w[1 + (n * 7 + i * 13 + i * i) % 26], ' ') AS text
              FROM generate_series(1, 60) i) body
"""
_FILL_LABELS_SQL = """
INSERT INTO articles_article_labels (article_id, label_id)
SELECT a.id, ({labels})[1 + (a.id + k) % 26] FROM articles_article a, unnest(ARRAY[0, 7, 15]) k
WHERE a.id BETWEEN {first} AND {first} + {size} - 1
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _production_env(*, page_cache: bool = True, metrics: bool | None = None) -> dict:
    chosen = {} if metrics is None else {"METRICS_ENABLED": "true" if metrics else "false"}
    return {
        **os.environ,
        **chosen,
        # After the caller's environment: an exported PAGE_CACHE_SECONDS must not turn the uncached pass cached.
        "PAGE_CACHE_SECONDS": "600" if page_cache else "0",
        "DJANGO_BEHIND_PROXY": "true",  # the mix's readers come with X-Forwarded-For
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DJANGO_LOG_LEVEL": "WARNING",
        "NEWSBLOG_BENCH_TRIVIAL_VIEW": "true",
        # Only this process polls the loopback feed; production settings refuse the switch.
        "FEEDS_ALLOW_PRIVATE_ADDRESSES": "false",
    }


def _collect_static(env: dict) -> None:
    """Production serves hashed static files from the manifest that collectstatic writes; pages need it."""
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)


def _start_gunicorn(
    port: int, *, page_cache: bool, metrics: bool | None = None, wsgi: str = "newsblog.wsgi"
) -> subprocess.Popen:
    """gunicorn with 2 workers; with metrics named (on or off), run with gunicorn.conf.py as production runs it."""
    env = _production_env(page_cache=page_cache, metrics=metrics)
    _collect_static(env)
    command = [str(ROOT / ".venv/bin/gunicorn"), wsgi, "--workers", "2", "--bind", f"127.0.0.1:{port}"]
    if metrics is not None:
        command += ["--config", "gunicorn.conf.py"]
    return subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)


def _wait_until_up(port: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            status, _ = _get(port, "/_bench/trivial")
            if status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("gunicorn did not start within 30 s")


def _get(port: int, path: str, connection: http.client.HTTPConnection | None = None) -> tuple[int, float]:
    connection = connection or http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    started = time.perf_counter()
    connection.request("GET", path)
    response = connection.getresponse()
    response.read()
    return response.status, (time.perf_counter() - started) * 1000


def _cold_post_renders(port: int, count: int) -> list[float]:
    """Render `count` different post pages right after invalidating the page cache: every one a miss.

    The first one also recomputes the sidebar's archive widget; the rest find it cached again.
    """
    from articles.models import Article
    from articles.pagecache import page_cache_invalidate

    paths = [post.get_absolute_url() for post in Article.objects.published().newest_first()[100 : 120 + count]]
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    for path in paths[:20]:  # both workers open their database connection and compile the templates
        _get(port, path, connection)
    page_cache_invalidate()
    return [_get(port, path, connection)[1] for path in paths[20:]]


def _wrk(url: str, duration: int, connections: int, script: Path | None = None, *, warm: bool = True) -> dict:
    mix = ["-s", str(script)] if script else []
    if warm:
        subprocess.run(["wrk", "-t2", f"-c{connections}", "-d2s", *mix, url], check=True, capture_output=True)
    output = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", *mix, url],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {
        "requests": int(re.search(r"(\d+) requests in", output).group(1)),
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "p50": _milliseconds(re.search(r"\s50%\s+([\d.]+\w+)", output).group(1)),
        "p99": _milliseconds(re.search(r"\s99%\s+([\d.]+\w+)", output).group(1)),
        "errors": int(errors.group(1)) if errors else 0,
    }


def _milliseconds(text: str) -> float:
    value, unit = re.match(r"([\d.]+)(\w+)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60_000}[unit]


def _archive_size() -> str:
    from articles.models import Article

    return f"{Article.objects.count():,} posts ({Article.objects.published().count():,} published)"


def _report_uncached(results: dict, trivial: float, args) -> None:
    print(f"\nuncached (PAGE_CACHE_SECONDS=0): {_archive_size()}, wrk -c{args.connections} {args.duration}s per URL")
    print(f"{'page':<8} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'vs trivial':>11} {'errors':>7}  target")
    for name, result in results.items():
        target = UNCACHED_TARGETS.get(name)
        verdict = f">= {target} req/s: {'ok' if result['rps'] >= target else 'MISSED'}" if target else ""
        print(
            f"{name:<8} {result['rps']:>9.0f} {result['p50']:>8.2f} {result['p99']:>8.2f} "
            f"{result['rps'] / trivial:>10.1%} {result['errors']:>7}  {verdict}"
        )


def _report(results: dict, cold: list[float], args) -> None:
    trivial = results["trivial"]["rps"]
    print(f"\nbench/pages.py: {_archive_size()}, gunicorn 2 workers, wrk -c{args.connections} {args.duration}s per URL")
    print(f"{'page':<8} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'vs trivial':>11} {'errors':>7}  target")
    for name, result in results.items():
        ratio = result["rps"] / trivial
        target = TARGETS.get(name)
        verdict = f">= {target:.0%}: {'ok' if ratio >= target else 'MISSED'}" if target else ""
        verdict += f"{'; ' if verdict else ''}p99 <= 100 ms: {'ok' if result['p99'] <= 100 else 'MISSED'}"
        print(
            f"{name:<8} {result['rps']:>9.0f} {result['p50']:>8.2f} {result['p99']:>8.2f} {ratio:>10.1%} "
            f"{result['errors']:>7}  {verdict}"
        )
    median = statistics.median(cold)
    print(
        f"cold post render (client-measured, {len(cold)} different posts after invalidation): median {median:.1f} ms, "
        f"p90 {statistics.quantiles(cold, n=10)[-1]:.1f} ms, max {max(cold):.1f} ms; "
        f"target <= 15 ms: {'ok' if median <= 15 else 'MISSED'}"
    )


if __name__ == "__main__":
    sys.exit(main())
