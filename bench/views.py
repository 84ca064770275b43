"""Benchmark view counting: post-page req/s with counting on vs off, one view's cost, a 100,000-view flush.

Run against your own PostgreSQL and Redis (it adds a "bench" source with 10,000 posts there):
    DATABASE_URL=postgres://... REDIS_URL=redis://... .venv/bin/python bench/views.py
"""

import os
import re
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from unittest import mock

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsblog.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import Client, RequestFactory  # noqa: E402
from django.utils import timezone  # noqa: E402

from articles import popularity  # noqa: E402
from articles.models import Article  # noqa: E402
from articles.popularity import counter as view_counter  # noqa: E402
from articles.popularity import recording  # noqa: E402
from bench.system import free_port, port_open, wait_until  # noqa: E402
from feeds.models import Source  # noqa: E402

POSTS = 10_000
PENDING_VIEWS = 100_000
PAGE_ROUNDS, PAGE_REQUESTS = 9, 300
RECORD_CALLS = 5_000
BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"


def bench_posts() -> list[int]:
    """The ids of the bench source's posts, creating them the first time."""
    source, _ = Source.objects.get_or_create(
        slug="bench-views", defaults={"name": "Bench views", "feed_url": "https://bench.example.com/feed.xml"}
    )
    have = source.articles.count()
    now = timezone.now()
    Article.objects.bulk_create(
        [
            Article(
                source=source,
                guid=f"bench-{i}",
                url=f"https://bench.example.com/{i}",
                title=f"Bench post {i}",
                slug=f"bench-post-{i}",
                url_year=2026,
                url_month=1,
                excerpt="A benchmark post. " * 40,
                body_html="<p>A benchmark post.</p>" * 30,
                published_at=now - timedelta(minutes=i),
            )
            for i in range(have, POSTS)
        ],
        batch_size=1000,
    )
    return list(source.articles.order_by("id").values_list("id", flat=True))


def visitor_request(factory: RequestFactory, number: int):
    return factory.get(
        "/", REMOTE_ADDR=f"10.{number // 65536 % 256}.{number // 256 % 256}.{number % 256}", HTTP_USER_AGENT=BROWSER
    )


def page_rate(client: Client, urls: list[str], start: int) -> float:
    """Post pages per second, each from a new visitor."""
    began = time.perf_counter()
    for i in range(PAGE_REQUESTS):
        number = start + i
        response = client.get(
            urls[i % len(urls)],
            REMOTE_ADDR=f"10.{number // 65536 % 256}.{number // 256 % 256}.{number % 256}",
            HTTP_USER_AGENT=BROWSER,
        )
        assert response.status_code == 200, response.status_code
    return PAGE_REQUESTS / (time.perf_counter() - began)


def bench_pages(ids: list[int]) -> None:
    urls = [a.get_absolute_url() for a in Article.objects.filter(pk__in=ids[:50])]
    client = Client(HTTP_HOST="127.0.0.1")
    page_rate(client, urls, 0)  # warm caches and connections
    on, off = [], []
    for round_number in range(PAGE_ROUNDS):
        # Alternate which goes first, so a burst of load from elsewhere does not favour one side.
        for counting in (True, False) if round_number % 2 else (False, True):
            start = (round_number * 2 + counting) * PAGE_REQUESTS + 100_000
            if counting:
                on.append(page_rate(client, urls, start))
                continue
            with mock.patch.object(recording, "request_counts", lambda request: False):
                off.append(page_rate(client, urls, start))
    ratio = statistics.median(on) / statistics.median(off)
    print(f"post page, counting off: {statistics.median(off):7.1f} req/s (median of {PAGE_ROUNDS} x {PAGE_REQUESTS})")
    print(f"post page, counting on:  {statistics.median(on):7.1f} req/s  -> {ratio:.1%} of off (target >= 90%)")


NEW_VISITOR_EVERY_REQUEST = """
paths = {%s}
counter = 0
request = function()
  counter = counter + 1
  local agent = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0 reader-" .. counter
  local address = string.format("10.%%d.%%d.%%d", math.floor(counter / 65536) %% 256, math.floor(counter / 256) %% 256,
    counter %% 256)
  return wrk.format("GET", paths[(counter %% #paths) + 1], {["User-Agent"] = agent, ["X-Forwarded-For"] = address})
end
"""


def served_rate(app: str, urls: list[str], env: dict, script: Path) -> float:
    """Post pages per second from gunicorn (2 workers) under wrk (16 connections, 10 s)."""
    port = free_port()
    gunicorn = [sys.executable, "-m", "gunicorn", app, "--workers", "2", "--bind", f"127.0.0.1:{port}"]
    server = subprocess.Popen(gunicorn, env=env, start_new_session=True, stderr=subprocess.DEVNULL)
    try:
        wait_until(lambda: port_open(port), 30, "gunicorn to listen")
        base = f"http://127.0.0.1:{port}"
        subprocess.run(["wrk", "-t2", "-c16", "-d2s", "-s", str(script), base], check=True, capture_output=True)
        output = subprocess.run(
            ["wrk", "-t2", "-c16", "-d10s", "-s", str(script), base], check=True, capture_output=True, text=True
        ).stdout
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(10)
    assert "Non-2xx" not in output, output
    return float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))


def bench_served_pages(ids: list[int]) -> None:
    """As readers meet it: gunicorn and wrk on cached post pages, every request from a new visitor."""
    if not shutil.which("wrk"):
        print("served comparison skipped: wrk is not installed (apt-get install wrk)")
        return
    urls = [a.get_absolute_url() for a in Article.objects.filter(pk__in=ids[:50])]
    script = Path(f"/tmp/newsblog-views-{os.getpid()}.lua")
    script.write_text(NEW_VISITOR_EVERY_REQUEST % ", ".join(f'"{url}"' for url in urls))
    env = {
        **os.environ,
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DJANGO_BEHIND_PROXY": "true",  # each wrk request names a new reader's address in X-Forwarded-For
        "DJANGO_LOG_LEVEL": "WARNING",
    }
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], env=env, check=True)
    on, off = [], []
    for round_number in range(3):
        for counting in (True, False) if round_number % 2 else (False, True):
            app = "newsblog.wsgi:application" if counting else "bench.wsgi_uncounted:application"
            (on if counting else off).append(served_rate(app, urls, env, script))
    script.unlink()
    ratio = statistics.median(on) / statistics.median(off)
    print(
        f"served post page (gunicorn 2 workers, wrk -c16, new visitor each request), counting off: "
        f"{statistics.median(off):7.1f} req/s"
    )
    print(f"served post page, counting on: {statistics.median(on):7.1f} req/s -> {ratio:.1%} of off (target >= 90%)")


def bench_record(ids: list[int]) -> None:
    factory = RequestFactory()
    requests = [visitor_request(factory, 300_000 + i) for i in range(RECORD_CALLS)]
    timings = []
    for i, request in enumerate(requests):
        began = time.perf_counter()
        popularity.view_record(request=request, article_id=ids[i % len(ids)])
        timings.append((time.perf_counter() - began) * 1000)
    timings.sort()
    print(
        f"record one view (view_record, Redis): mean {statistics.mean(timings):.3f} ms, "
        f"p50 {timings[len(timings) // 2]:.3f} ms, p99 {timings[int(len(timings) * 0.99)]:.3f} ms "
        f"over {RECORD_CALLS} views (target < 0.5 ms)"
    )


def bench_flush(ids: list[int]) -> None:
    popularity.flush_views()  # start from an empty pending hash
    client = view_counter.counter_client()
    today = timezone.localdate()
    pipe = client.pipeline(transaction=False)
    per_post = PENDING_VIEWS // len(ids)
    for n, article_id in enumerate(ids):
        pipe.hincrby(view_counter.PENDING_KEY, view_counter.count_field(article_id, today), per_post)
        pipe.pfadd(view_counter.visitors_key(today, article_id), *[f"v{n}-{k}" for k in range(per_post)])
    pipe.execute()
    began = time.perf_counter()
    result = popularity.flush_views()
    seconds = time.perf_counter() - began
    print(f"flush {result.views} pending views over {result.rows} posts: {seconds:.3f} s (target < 2 s)")


def main() -> None:
    if not settings.REDIS_URL:
        sys.exit("Set REDIS_URL (and DATABASE_URL): the benchmark measures the Redis counter.")
    settings.DEBUG = False  # no query log: measure the site as it runs in production
    call_command("migrate", verbosity=0)
    ids = bench_posts()
    print(f"database {settings.DATABASES['default']['NAME']}, Redis {settings.REDIS_URL}, {len(ids)} bench posts")
    bench_pages(ids)
    bench_served_pages(ids)
    bench_record(ids)
    bench_flush(ids)


if __name__ == "__main__":
    main()
