"""Benchmark search: the ranked first page and the count a results page shows, for broad, rare and no-match queries.

Run against your own PostgreSQL (it migrates it and adds a "bench-search" source with 10,000 posts, all containing
a common word, some a rare one; ANALYZE afterwards):
    DATABASE_URL=postgres://... .venv/bin/python bench/search.py
"""

import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsblog.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from articles import search  # noqa: E402
from articles.models import Article  # noqa: E402
from feeds.models import Source  # noqa: E402

POSTS = 10_000
RUNS = 7
PER_PAGE = 20
RARE_WORDS = ["zeppelin", "quokka", "marzipan", "obsidian", "tamarind"]
QUERIES = {"broad": "market", "rare": "zeppelin", "no match": "xylophone"}


def bench_source() -> Source:
    """The bench source with POSTS published posts, created the first time."""
    source, _ = Source.objects.get_or_create(
        slug="bench-search", defaults={"name": "Bench search", "feed_url": "https://bench-search.example.com/feed"}
    )
    have = source.articles.count()
    now = timezone.now()
    Article.objects.bulk_create([_post(source, i, now) for i in range(have, POSTS)], batch_size=1000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE articles_article")
    return source


def _post(source: Source, i: int, now) -> Article:
    # Every post says "market"; one in a thousand also carries a rare word, in the title or in the text.
    rare = RARE_WORDS[i // 1000 % len(RARE_WORDS)] if i % 1000 == 7 else ""
    title = f"Market report {i} {rare if i % 2 else ''}".strip()
    excerpt = f"Markets moved on day {i} as traders weighed prices, rates and {rare or 'news'}. " * 6
    return Article(
        source=source,
        guid=f"bench-search-{i}",
        url=f"https://bench-search.example.com/{i}",
        title=title,
        slug=f"bench-search-{i}",
        url_year=2026,
        url_month=1,
        excerpt=excerpt,
        body_html=f"<p>{excerpt}</p>",
        published_at=now - timedelta(minutes=i),
    )


def _found(query: str) -> int:
    """The number the results page reports: the capped count where the code has one, else every match."""
    paginator = getattr(search, "SearchPaginator", None)
    if paginator is None:
        return search.search_articles(query).count()
    return paginator(query, per_page=PER_PAGE).found


def _median_ms(work) -> float:
    timings = []
    for _ in range(RUNS):
        began = time.perf_counter()
        work()
        timings.append((time.perf_counter() - began) * 1000)
    return statistics.median(timings)


def main() -> None:
    if connection.vendor != "postgresql":
        sys.exit("Set DATABASE_URL to a PostgreSQL database: the benchmark measures full-text search there.")
    settings.DEBUG = False
    call_command("migrate", verbosity=0)
    bench_source()
    total = Article.objects.published().count()
    print(f"database {settings.DATABASES['default']['NAME']}: {total} published posts; median of {RUNS} runs")
    for label, query in QUERIES.items():
        first_page = _median_ms(lambda query=query: list(search.search_articles(query)[:PER_PAGE]))
        count = _median_ms(lambda query=query: _found(query))
        print(
            f"{label:>8} {query!r:12} first page {first_page:8.1f} ms   count {count:8.1f} ms"
            f"   (found {_found(query)}, first page {len(list(search.search_articles(query)[:PER_PAGE]))} posts)"
        )


if __name__ == "__main__":
    main()
