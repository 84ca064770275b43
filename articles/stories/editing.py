"""Editors' side of stories: split a copy from its story, or merge posts into a story under a chosen lead.

Both are recorded in story_decision, which ingest reads and never changes: a split post is never matched again,
and a lead an editor chose is never taken over by a source of higher priority.
"""

from django.db import transaction
from django.db.models import Q

from articles.models import Article
from articles.pagecache import invalidate_posts_on_commit

Decision = Article.StoryDecision


@transaction.atomic
def story_split(*, ids: list[int]) -> int:
    """Make each of these copies a post of its own again, listed and kept apart from now on; how many."""
    copies = Article.objects.filter(pk__in=ids, story_lead__isnull=False)
    leads = set(copies.values_list("story_lead", flat=True))
    split_ids = list(copies.values_list("pk", flat=True))
    count = Article.objects.filter(pk__in=split_ids).update(
        story_lead=None, status=Article.Status.PUBLISHED, story_decision=Decision.SPLIT
    )
    invalidate_posts_on_commit([*split_ids, *leads])
    return count


@transaction.atomic
def story_merge(*, lead: Article, ids: list[int]) -> int:
    """Make lead the lead of one story holding these posts and every copy they led; how many became copies."""
    others = [pk for pk in ids if pk != lead.pk]
    old_lead = lead.story_lead_id
    stories = Q(pk__in=others) | Q(story_lead__in=others)
    if old_lead is not None:
        # The lead was a copy: its old story comes along.
        stories |= Q(pk=old_lead) | Q(story_lead=old_lead)
    members = list(Article.objects.filter(stories).exclude(pk=lead.pk).values_list("pk", flat=True))
    lead_status = Article.Status.PUBLISHED if lead.status == Article.Status.COPY else lead.status
    Article.objects.filter(pk=lead.pk).update(story_lead=None, status=lead_status, story_decision=Decision.LEAD)
    count = Article.objects.filter(pk__in=members).update(
        story_lead=lead, status=Article.Status.COPY, story_decision=Decision.COPY
    )
    invalidate_posts_on_commit([lead.pk, *members, *([old_lead] if old_lead else [])])
    return count
