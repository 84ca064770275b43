"""Ingest's side of stories: each new post either leads its story or becomes a copy of the post that leads it.

The first copy stored leads, unless the new copy's source has a higher priority than the lead's: then the new copy
takes the lead over, with every copy the story had. An editor's decision (a split post, a lead or copy an editor
chose) is never undone here: a split post is never matched, and a lead an editor chose is never taken over.
"""

from collections.abc import Callable, Iterable

from django.db import connection
from django.db.models import Q

from articles.models import Article
from articles.pagecache import invalidate_posts_on_commit

# One advisory lock for every worker's story step, so that two copies of one story stored at the same moment (by
# two sources, in two transactions) cannot both see no earlier copy: the second waits, then sees the first.
STORY_LOCK = 0x5710_2416
Decision = Article.StoryDecision

# Given the new posts the URL rule left undecided, the post each one should join by its text (or none); the
# second list holds the copies the URL rule decided, only to be indexed: the near-duplicate rule's hook.
TextMatcher = Callable[[list[Article], list[Article]], dict[int, int]]


def stories_lock() -> None:
    """Hold the story step's lock until the transaction ends (PostgreSQL; SQLite writes one at a time anyway)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [STORY_LOCK])


def matchable_leads() -> "Q":
    """Posts a new copy may join: leads of their stories that no editor split off."""
    return Q(story_lead__isnull=True) & ~Q(story_decision=Decision.SPLIT) & ~Q(status=Article.Status.COPY)


def stories_attach(*, articles: Iterable[Article], by_text: TextMatcher | None = None) -> int:
    """Join each new, stored post to the story it belongs to; how many became copies. Call inside the store's
    transaction, after the insert (so two copies in one batch find each other). A fixed number of queries a batch,
    plus three for each rare takeover by a source of higher priority."""
    new = sorted((article for article in articles if article.pk is not None), key=lambda a: a.pk)
    if not new:
        return 0
    stories_lock()
    leads = _leads_by_key(new)
    by_url = _decided_by_url(new, leads)
    undecided = [article for article in new if article.pk not in by_url]
    text_matches = by_text(undecided, [a for a in new if a.pk in by_url]) if by_text is not None else {}
    # Where each post of the batch stands: the lead of its story (itself when it leads).
    story_of: dict[int, Article] = _leads_of(set(text_matches.values()) - {a.pk for a in new})
    copies: list[Article] = []
    touched, joined = set(), 0
    for article in new:
        lead = leads.get(article.story_key) if article.story_key else None
        if lead is None and article.pk in text_matches:
            lead = story_of.get(text_matches[article.pk])
        if lead is None:
            # The first of the batch with this key leads; the next ones join it.
            leads.setdefault(article.story_key or f"id:{article.pk}", article)
            story_of[article.pk] = article
            continue
        winner = _join(article, lead, copies)
        if winner is article:
            for stories in (leads, story_of):
                stories.update({key: article for key, value in stories.items() if value is lead})
        if article.story_key:
            leads[article.story_key] = winner
        story_of[article.pk] = winner
        touched.update({lead.pk, winner.pk})
        joined += 1
    _save_copies(copies)
    invalidate_posts_on_commit(touched)
    return joined


def _decided_by_url(new: list[Article], leads: dict[str, Article]) -> set[int]:
    """Ids of the new posts the URL rule makes copies: a stored lead has their key, or an earlier post of the batch.
    The text rule is not asked about them (its signature and band lookup are the identity check's main cost)."""
    seen, decided = set(leads), set()
    for article in new:
        if article.story_key in seen:
            decided.add(article.pk)
        elif article.story_key:
            seen.add(article.story_key)
    return decided


def _leads_by_key(new: list[Article]) -> dict[str, Article]:
    """story_key -> the earliest matchable lead stored before this batch with that key; one query, and one more to
    load the leads when some are found.

    Not the lowest id of all: a concurrent poll that committed while this one waited for the lock may hold a
    higher id than this batch's posts, and it leads because it reached the lock first.
    """
    keys = {article.story_key for article in new if article.story_key}
    lead_ids = _lead_ids_by_key(keys, batch=[article.pk for article in new]) if keys else {}
    if not lead_ids:
        return {}
    leads = Article.objects.filter(pk__in=lead_ids.values()).select_related("source").only(*LEAD_FIELDS).in_bulk()
    return {key: leads[pk] for key, pk in lead_ids.items() if pk in leads}


def _lead_ids_by_key(keys: set[str], *, batch: list[int]) -> dict[str, int]:
    """story_key -> id of the earliest post with that key that matchable_leads() takes, outside the batch.

    Only placeholders are formatted into the SQL. matchable_leads() is written out in SQL here: this lookup runs
    for every new post, and compiling the ORM's query cost more than the database's work (bench/stories.py).
    """
    key_params, batch_params = ", ".join(["%s"] * len(keys)), ", ".join(["%s"] * len(batch))
    sql = (
        f"SELECT story_key, id FROM {Article._meta.db_table} WHERE story_key IN ({key_params}) "  # noqa: S608 - see above
        f"AND story_lead_id IS NULL AND story_decision <> %s AND status <> %s AND id NOT IN ({batch_params}) "
        "ORDER BY id DESC"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*keys, Decision.SPLIT, Article.Status.COPY, *batch])
        # Newest first, so the earliest post of each key is the one left in the dict.
        return dict(cursor.fetchall())


LEAD_FIELDS = (
    "id",
    "story_key",
    "story_lead",
    "story_decision",
    "status",
    "is_featured",
    "edited_by_editor",
    "source__priority",
)


def _leads_of(ids: set[int]) -> dict[int, Article]:
    """post id -> the post leading its story, for stored posts a new post matched by text; two queries.

    A split post, and a story whose lead is itself a copy left without its lead, take no copy."""
    if not ids:
        return {}
    rows = Article.objects.filter(pk__in=ids).exclude(story_decision=Decision.SPLIT).only("id", "story_lead")
    lead_ids = {row.pk: row.story_lead_id or row.pk for row in rows}
    stories = Article.objects.filter(pk__in=set(lead_ids.values())).exclude(status=Article.Status.COPY)
    found = {lead.pk: lead for lead in stories.select_related("source").only(*LEAD_FIELDS)}
    return {pk: found[lead_id] for pk, lead_id in lead_ids.items() if lead_id in found}


def _join(article: Article, lead: Article, copies: list[Article]) -> Article:
    """Make article a copy of lead's story (saved later with the others), or its new lead when its source outranks
    the lead's; the story's lead."""
    # A lead an editor chose, hid, featured or edited keeps its place: that decision is the editor's.
    editor_touched = lead.story_decision == Decision.LEAD or lead.is_featured or lead.edited_by_editor
    takes_over = (
        article.source.priority > lead.source.priority
        and not editor_touched
        and lead.status == Article.Status.PUBLISHED
    )
    if takes_over:
        _save_copies(copies)
        Article.objects.filter(story_lead=lead).update(story_lead=article)
        Article.objects.filter(pk=lead.pk).update(story_lead=article, status=Article.Status.COPY)
        lead.story_lead, lead.status = article, Article.Status.COPY
        return article
    article.story_lead, article.status = lead, Article.Status.COPY
    copies.append(article)
    return lead


def _save_copies(copies: list[Article]) -> None:
    """Write the batch's new copies in one UPDATE."""
    if copies:
        Article.objects.bulk_update(copies, ["story_lead", "status"])
        copies.clear()
