"""Every list a reader or an editor pages through reads the top of an index in the order it sorts.

The pages are fetched for real on a large archive, and each SQL query they run is EXPLAINed: a sequential scan
of the posts table, or a sort of post rows, makes a page's cost grow with the archive. Sorting a bounded set
(under a LIMIT or an aggregate: the newest 1,000 search matches, a week's views) is allowed, and so is a scan
that a LIMIT stops early. Two whole-archive aggregates remain, each computed once per change and then served
from the cache: the blog archive's posts per month and the sitemap's page count (WHOLE_ARCHIVE_AGGREGATES).
"""

import json
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from articles.models import Article, Label
from articles.sitemaps import LabelSitemap, SourceSitemap
from feeds.models import Source
from tests.operations.desk import editor_client

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

# Enough posts that PostgreSQL's planner prefers reading an index to scanning and sorting the table.
ARCHIVE_POSTS = 100_000
ARCHIVE_SQL = Path(__file__).parent.parent / "data" / "large_archive.sql"
POSTS_TABLE = "articles_article"
SORTED_TABLES = {POSTS_TABLE, "articles_comment"}
SORTS = {"Sort", "Incremental Sort"}
BOUNDED = {"Limit", "Aggregate"}
# Stop a scan from stopping early: everything above it waits for the last row.
BLOCKING = SORTS | {"Aggregate", "Hash", "Materialize"}
WHOLE_ARCHIVE_AGGREGATES = (
    'COUNT("articles_article"."id") AS "posts" FROM "articles_article"',  # the blog archive widget
    'SELECT COUNT(*) AS "__count" FROM "articles_article"',  # the sitemap's number of pages
)


def fill_archive(posts: int) -> None:
    statements = ARCHIVE_SQL.read_text().replace("%(posts)s", str(posts)).split(";\n")
    with connection.cursor() as cursor:
        for statement in statements:
            if statement.strip():
                cursor.execute(statement)
        cursor.execute("ANALYZE")


@pytest.fixture(autouse=True)
def _pages_rendered_every_time(settings):
    settings.PAGE_CACHE_SECONDS = 0


def reader_urls() -> list[str]:
    post = Article.objects.published().order_by("-published_at")[500]
    source = Source.objects.order_by("id")[3]
    label = Label.objects.order_by("id")[5]
    now = timezone.localtime()
    return [
        "/",
        "/?page=40",
        f"/source/{source.slug}/",
        f"/source/{source.slug}/?page=3",
        f"/label/{label.slug}/",
        f"/{now.year}/{now.month:02d}/",
        f"/{now.year}/",
        "/search?q=harbour",
        "/rss.xml",
        "/feeds/posts/default",
        f"/source/{source.slug}/rss.xml",
        f"/feeds/posts/default/-/{label.slug}",
        "/trending/",
        post.get_absolute_url(),
    ]


EDITOR_URLS = ["/admin/articles/article/", "/admin/articles/comment/", "/admin/feeds/source/"]


def plan_nodes(node: dict, ancestors: tuple = ()):
    """Every node of an EXPLAIN (FORMAT JSON) plan with the node types above it."""
    yield node, ancestors
    for child in node.get("Plans", []):
        yield from plan_nodes(child, (*ancestors, node))


def stopped_early(ancestors: tuple) -> bool:
    """A scan under a LIMIT with nothing between that waits for every row: it reads only what the LIMIT needs."""
    for ancestor in reversed(ancestors):
        if ancestor["Node Type"] == "Limit":
            return True
        if ancestor["Node Type"] in BLOCKING:
            return False
    return False


def subtree(node: dict):
    return (descendant for descendant, _ in plan_nodes(node))


def driving_relation(node: dict) -> str | None:
    """The table whose rows flow out of this node: the scan at the end of the outer (first) inputs."""
    while node.get("Plans"):
        node = node["Plans"][0]
    return node.get("Relation Name")


def sorts_rows(node: dict) -> bool:
    """A sort of table rows (posts, or comments on the desk), not of a bounded or aggregated set."""
    below = list(subtree(node))[1:]
    bounded = any(n["Node Type"] in BOUNDED for n in below)
    return node["Node Type"] in SORTS and driving_relation(node) in SORTED_TABLES and not bounded


def plan_problems(sql: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}")
        row = cursor.fetchone()[0]
    return problems_in((row if isinstance(row, list) else json.loads(row))[0]["Plan"])


def problems_in(plan: dict) -> list[str]:
    problems = []
    for node, ancestors in plan_nodes(plan):
        scans_posts = node["Node Type"] == "Seq Scan" and node.get("Relation Name") == POSTS_TABLE
        if scans_posts and not stopped_early(ancestors):
            problems.append("sequential scan of the posts")
        if sorts_rows(node):
            problems.append(f"{node['Node Type']} of {driving_relation(node)} rows by {node.get('Sort Key')}")
    return problems


def queries_of(client, url: str) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return [
        query["sql"]
        for query in captured
        if query["sql"].startswith("SELECT")
        and POSTS_TABLE in query["sql"]
        and not any(aggregate in query["sql"] for aggregate in WHOLE_ARCHIVE_AGGREGATES)
    ]


def assert_index_ordered(client, urls: list[str]) -> None:
    problems = {}
    for url in urls:
        for sql in queries_of(client, url):
            for problem in plan_problems(sql):
                problems.setdefault(url, []).append(f"{problem}:\n    {sql[:300]}")
    assert not problems, "\n".join(f"{url}: {'; '.join(found)}" for url, found in problems.items())


def test_reader_pages_and_editor_lists_read_posts_in_index_order(client):
    fill_archive(ARCHIVE_POSTS)
    assert_index_ordered(client, reader_urls())
    assert_index_ordered(editor_client(client), EDITOR_URLS)


def test_sitemap_sections_find_sources_and_labels_without_reading_every_post(client):
    # The posts section lists every post (50,000 a sitemap page): reading them all in one pass is its job.
    fill_archive(ARCHIVE_POSTS)
    for section in (SourceSitemap(), LabelSitemap()):
        plan = json.loads(section.items().explain(format="json"))[0]["Plan"]
        assert not problems_in(plan), type(section).__name__


def test_the_check_catches_a_list_without_its_index(client):
    fill_archive(5_000)
    with connection.cursor() as cursor:
        cursor.execute("DROP INDEX article_home_idx")
    sql = queries_of(client, "/")
    assert any(plan_problems(query) for query in sql)
