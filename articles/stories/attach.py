"""Ingest's side of stories: each new post either leads its story or becomes a copy of the post that leads it.

The first copy stored leads, unless the new copy's source has a higher priority than the lead's: then the new copy
takes the lead over, with every copy the story had. An editor's decision (a split post, a lead or copy an editor
chose) is never undone here: a split post is never matched, and a lead an editor chose is never taken over.
"""

from collections.abc import Iterable

from django.db import connection
from django.db.models import Q

from articles.models import Article
from articles.pagecache import invalidate_posts_on_commit
from articles.stories.lookup import story_reads
from articles.stories.nearcopies import TextRule, text_check, text_matches

Decision = Article.StoryDecision


def matchable_leads() -> "Q":
    """Posts a new copy may join: leads of their stories that no editor split off."""
    return Q(story_lead__isnull=True) & ~Q(story_decision=Decision.SPLIT) & ~Q(status=Article.Status.COPY)


def stories_attach(
    *, articles: Iterable[Article], by_text: TextRule | None = None, changed: set[int] | None = None
) -> int:
    """Join each new, stored post to the story it belongs to; how many became copies. Call inside the store's
    transaction, after the insert (so two copies in one batch find each other). by_text: the near-duplicate rule
    (feeds/ingest/identity.NEAR_COPIES), or None for the URL rule alone. changed: when given, the stored posts whose
    pages the step changed (a lead that gained a copy, a lead taken over) are added to it, for the caller to drop
    with the pages it drops anyway (one invalidation a poll); otherwise they are dropped here once it commits.

    One round trip a batch on PostgreSQL (lookup.story_reads), then the writes: one query to load the leads of what
    the batch matched (when it matched anything), one to save the copies, and three for each rare takeover by a
    source of higher priority."""
    new = sorted((article for article in articles if article.pk is not None), key=lambda a: a.pk)
    if not new:
        return 0
    # Every new post is signed and indexed, the URL rule's copies too: the signature is computed before the round
    # trip that tells which those are, and a later post matching one by text joins its story all the same.
    check = text_check(new, by_text) if by_text is not None else None
    lead_ids, text_rows = story_reads(new, check)
    batch = {article.pk for article in new}
    # Matched for every new post, so that the leads of both rules' matches load in one query; a post the URL rule
    # decides drops its text match below.
    text_matched = text_matches(check, text_rows, undecided=batch) if check is not None else {}
    found = _leads_of(set(lead_ids.values()) | (set(text_matched.values()) - batch))
    leads = {key: found[pk] for key, pk in lead_ids.items() if pk in found}
    by_url = _decided_by_url(new, leads)
    by_text_match = {pk: match for pk, match in text_matched.items() if pk not in by_url}
    # Where each post of the batch stands: the lead of its story (itself when it leads).
    story_of: dict[int, Article] = {pk: found[pk] for pk in set(by_text_match.values()) - batch if pk in found}
    copies: list[Article] = []
    touched, joined = set(), 0
    for article in new:
        lead = leads.get(article.story_key) if article.story_key else None
        if lead is None and article.pk in by_text_match:
            lead = story_of.get(by_text_match[article.pk])
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
    if changed is not None:
        changed.update(touched)
    elif touched:
        invalidate_posts_on_commit(touched)
    return joined


def _decided_by_url(new: list[Article], leads: dict[str, Article]) -> set[int]:
    """Ids of the new posts the URL rule makes copies: a stored lead has their key, or an earlier post of the batch.
    The text rule's matches are not asked for them."""
    seen, decided = set(leads), set()
    for article in new:
        if article.story_key in seen:
            decided.add(article.pk)
        elif article.story_key:
            seen.add(article.story_key)
    return decided


def _leads_of(ids: set[int]) -> dict[int, Article]:
    """post id -> the post leading its story (the post itself when it leads), for stored posts the batch matched;
    one query, none without ids. A split post, and a story whose lead is itself a copy left without its lead, take
    no copy. Plain SQL: compiling the ORM's queries for this cost more than the database's work (bench/stories.py,
    ingest's drop)."""
    if not ids:
        return {}
    source_model = Article._meta.get_field("source").related_model
    table, sources = Article._meta.db_table, source_model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT p.id, {', '.join(f'l.{column}' for column in LEAD_COLUMNS)}, s.priority "  # noqa: S608 - names
            f"FROM {table} AS p JOIN {table} AS l ON l.id = COALESCE(p.story_lead_id, p.id) "
            f"JOIN {sources} AS s ON s.id = l.source_id "
            f"WHERE p.id IN ({', '.join(['%s'] * len(ids))}) AND p.story_decision <> %s AND l.status <> %s",
            [*ids, Decision.SPLIT, Article.Status.COPY],
        )
        rows = cursor.fetchall()
    # One instance a lead, however many of the batch's matches it leads: a takeover replaces it everywhere.
    instances: dict[int, Article] = {}
    for _pk, *values, priority in rows:
        if values[0] not in instances:
            lead = Article(**dict(zip(LEAD_COLUMNS, values, strict=True)))
            lead.source = source_model(pk=lead.source_id, priority=priority)
            instances[lead.pk] = lead
    return {pk: instances[values[0]] for pk, *values, _priority in rows}


# What joining a story needs of its lead (and of the lead's source, its priority).
LEAD_COLUMNS = (
    "id",
    "story_key",
    "story_lead_id",
    "story_decision",
    "status",
    "is_featured",
    "edited_by_editor",
    "source_id",
)


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
    """Write the batch's new copies in one UPDATE: plain SQL, because compiling bulk_update's CASE for a poll's
    copies cost more than the rest of the story step's writes (bench/stories.py, ingest's drop)."""
    if not copies:
        return
    values = ", ".join(f"({int(copy.pk)}, {int(copy.story_lead_id)})" for copy in copies)
    table = Article._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET story_lead_id = v.column2, status = %s "  # noqa: S608 - ids forced through int()
            f"FROM (VALUES {values}) AS v WHERE {table}.id = v.column1",
            [Article.Status.COPY],
        )
    copies.clear()
