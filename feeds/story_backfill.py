"""Stories for posts stored before story identity existed (manage.py mergestories): the same rules as ingest.

Posts are taken oldest first in batches; each gets its URL key and text signature, then joins a story as a new
post would. A post already in a story, or split or merged by an editor, is indexed but never moved. A post that
already has a signature was handled by an earlier run or by ingest, so a second run changes nothing.
"""

from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from articles.models import Article, StorySignature
from articles.stories import stories_attach, stories_index
from feeds.ingest.identity import NEAR_COPIES, story_key

BATCH_SIZE = 500


class DryRun(Exception):
    """Raised to roll a dry run back."""


@dataclass
class BackfillResult:
    posts: int = 0
    copies: int = 0


def stories_backfill(
    *,
    since: timedelta | None = None,
    dry_run: bool = False,
    progress: Callable[[int, int], None] = lambda done, total: None,
) -> BackfillResult:
    """Build stories among posts published within `since` (all posts when None); how many posts and copies.

    A real run commits batch by batch; a dry run does the same work in one transaction and rolls it back.
    """
    posts = _unindexed(timezone.now() - since if since else None)
    ids = list(posts.order_by("published_at", "id").values_list("pk", flat=True))
    result = BackfillResult(posts=len(ids))
    progress(0, len(ids))
    try:
        with transaction.atomic() if dry_run else nullcontext():
            for start in range(0, len(ids), BATCH_SIZE):
                with transaction.atomic():
                    result.copies += _batch(ids[start : start + BATCH_SIZE])
                progress(min(start + BATCH_SIZE, len(ids)), len(ids))
            if dry_run:
                raise DryRun
    except DryRun:
        pass
    return result


def _unindexed(published_after: datetime | None):
    posts = Article.objects.filter(~Exists(StorySignature.objects.filter(article=OuterRef("pk"))))
    return posts.filter(published_at__gte=published_after) if published_after else posts


def _batch(ids: list[int]) -> int:
    leads_a_story = Exists(Article.objects.filter(story_lead=OuterRef("pk")))
    articles = list(
        Article.objects.filter(pk__in=ids).select_related("source").annotate(leads=leads_a_story).order_by("id")
    )
    for article in articles:
        article.story_key = story_key(article.url)
    Article.objects.bulk_update(articles, ["story_key"])
    movable = [article for article in articles if _story_of_one(article)]
    fixed = [article for article in articles if not _story_of_one(article)]
    stories_index(articles=fixed, by_text=NEAR_COPIES)  # only indexed, so that later posts can find them
    return stories_attach(articles=movable, by_text=NEAR_COPIES)


def _story_of_one(article: Article) -> bool:
    """Neither in a story nor decided by an editor: the backfill may move it."""
    undecided = article.story_decision == Article.StoryDecision.NONE
    return article.story_lead_id is None and undecided and article.status != Article.Status.COPY and not article.leads
