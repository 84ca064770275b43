"""The story step's reads for a batch of new posts: its lock, the URL key lookup and the text index.

On PostgreSQL the three go to the database as three statements in one round trip (one execute without parameters,
which psycopg sends by the simple query protocol): the round trips were most of the identity check's time
(bench/stories.py). Each statement takes its own snapshot, so the key lookup and the band lookup,
which come after the lock, see everything a poll that held the lock before committed.
"""

from django.db import connection

from articles.models import Article
from articles.stories.nearcopies import TextCheck, index_statement, text_index

# One advisory lock for every worker's story step, so that two copies of one story stored at the same moment (by
# two sources, in two transactions) cannot both see no earlier copy: the second waits, then sees the first.
STORY_LOCK = 0x5710_2416
_LOCK_SQL = f"SELECT pg_advisory_xact_lock({STORY_LOCK})"
Decision = Article.StoryDecision


def stories_lock() -> None:
    """Hold the story step's lock until the transaction ends (PostgreSQL; SQLite writes one at a time anyway)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_LOCK_SQL)


def story_reads(new: list[Article], check: TextCheck | None) -> tuple[dict[str, int], list[tuple]]:
    """Take the story lock; then story_key -> id of the earliest matchable lead stored before this batch with that
    key, and the text index's rows for the batch (which it adds to the index). new: sorted by id."""
    keys = {article.story_key for article in new if article.story_key}
    batch = [article.pk for article in new]
    if connection.vendor != "postgresql":
        lead_ids = _run([_key_lookup(keys, batch)])[0] if keys else []
        return dict(lead_ids), text_index(check) if check is not None else []
    statements = [(_LOCK_SQL, [])]
    if keys:
        statements.append(_key_lookup(keys, batch))
    if check is not None and check.articles:
        statements.append(index_statement(check))
    results = _run(statements)[1:]
    lead_ids = results.pop(0) if keys else []
    return dict(lead_ids), results[0] if results else []


def _run(statements: list[tuple[str, list]]) -> list[list[tuple]]:
    """Each statement's rows, the statements sent together in one execute."""
    if len(statements) == 1:
        sql, params = statements[0]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return [cursor.fetchall()]
    # With its parameters written in (quoted by the driver, as client-side binding does), a query travels by the
    # simple protocol, which takes several statements at once, also when server-side binding is on
    # (DATABASE_PREPARED_STATEMENTS): that binding takes one statement an execute.
    sql = "; ".join(connection.ops.compose_sql(sql, params) if params else sql for sql, params in statements)
    with connection.cursor() as cursor:
        cursor.execute(sql)
        results = [cursor.fetchall()]
        for _statement in statements[1:]:
            cursor.nextset()
            results.append(cursor.fetchall())
    return results


def _key_lookup(keys: set[str], batch: list[int]) -> tuple[str, list]:
    """story_key -> id of the posts with these keys that matchable_leads() takes, outside the batch, newest first
    (so the earliest post of each key is the one left in a dict of the rows).

    Not the lowest id of all: a concurrent poll that committed while this one waited for the lock may hold a
    higher id than this batch's posts, and it leads because it reached the lock first. Only placeholders are
    formatted into the SQL. matchable_leads() is written out in SQL here: this lookup runs for every new post, and
    compiling the ORM's query cost more than the database's work (bench/stories.py).

    On PostgreSQL each key is one probe of article_story_key_idx, whatever the statistics say: a LATERAL subquery
    that OFFSET 0 keeps apart, with the lead conditions outside it. Planned as one query from stale statistics
    (autovacuum behind a busy day), the lookup read every lead through the story_lead_id index instead, 2 ms a poll
    and growing (bench/stories.py, ingest's drop).
    """
    key_params, batch_params = ", ".join(["%s"] * len(keys)), ", ".join(["%s"] * len(batch))
    table = Article._meta.db_table
    if connection.vendor == "postgresql":
        posts = (
            f"unnest(ARRAY[{key_params}]::varchar[]) AS k(story_key) CROSS JOIN LATERAL (SELECT id, story_key, "  # noqa: S608
            f"story_lead_id, story_decision, status FROM {table} WHERE story_key = k.story_key AND story_key <> '' "
            "OFFSET 0) AS a"
        )
        keys_in = ""
    else:
        posts, keys_in = f"{table} AS a", f"a.story_key IN ({key_params}) AND "
    sql = (
        f"SELECT a.story_key, a.id FROM {posts} WHERE {keys_in}a.story_lead_id IS NULL "  # noqa: S608 - see above
        f"AND a.story_decision <> %s AND a.status <> %s AND a.id NOT IN ({batch_params}) ORDER BY a.id DESC"
    )
    return sql, [*keys, Decision.SPLIT, Article.Status.COPY, *batch]
