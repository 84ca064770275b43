"""The original article after publishing: re-checked on a decaying schedule, flagged when it is gone.

For posts of the last 7 days the original URL is asked again 1 h, 6 h, 24 h, 72 h and 7 d after publishing,
with the fetcher's address policy and limits, a HEAD that falls back to GET, the per-host politeness of every fetch
and ORIGINAL_CHECKS_PER_MINUTE in all (feeds/politeness). 404/410 flags the post "original
removed" and, when its source says so, hides it: only at that moment, so an editor who publishes it again is
not overruled by the next check. A permanent redirect updates the stored link, and the attribution with it.
"""

import time
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from articles.models import Article
from articles.pagecache import invalidate_posts_on_commit
from feeds import politeness
from feeds.ingest.errors import FetchError
from feeds.ingest.fetch import DEFAULT_LIMITS, fetch_status

SCHEDULE = (timedelta(hours=1), timedelta(hours=6), timedelta(hours=24), timedelta(hours=72), timedelta(days=7))
# Posts published longer ago than this are past their last check (7 d), with a day's grace for a late run.
WINDOW = SCHEDULE[-1] + timedelta(days=1)
REMOVED = frozenset({404, 410})
# Answers to a HEAD that say more about HEAD than about the page: ask again with GET.
HEAD_REFUSED = frozenset({400, 403, 405, 501})
# A check waits this long at most for its host's turn (enough for the gap after its own HEAD); a busier host's
# post is checked at the next run. The run stops starting checks after RUN_SECONDS, within the task's time limit.
HOST_WAIT_SECONDS = 3.0
RUN_SECONDS = 40.0


@dataclass
class OriginalCheck:
    """What one check found and did."""

    article_id: int
    url: str
    status: int | None = None
    removed: bool = False
    hidden: bool = False
    moved_to: str = ""
    error: str = ""
    skipped: str = ""

    def __str__(self) -> str:
        found = self.skipped or self.error or f"HTTP {self.status}"
        notes = [note for flag, note in ((self.removed, "original removed"), (self.hidden, "post hidden")) if flag]
        notes += [f"moved to {self.moved_to}"] if self.moved_to else []
        return f"post {self.article_id} {self.url}: {found}{'; ' if notes else ''}{', '.join(notes)}"


def posts_due(now: datetime) -> QuerySet:
    """Posts of the last 7 days whose next scheduled check has come, oldest first; removed ones are done."""
    stage_due = Q()
    for done, after in enumerate(SCHEDULE):
        stage_due |= Q(original_checks_done=done, published_at__lte=now - after)
    recent = Article.objects.filter(published_at__gte=now - WINDOW, original_removed_at__isnull=True)
    return recent.filter(stage_due).select_related("source").order_by("published_at", "id")


def originals_check_due(*, now: datetime | None = None) -> list[OriginalCheck]:
    """Check the due posts within the per-minute budget; a post whose host was asked this second waits its turn."""
    now, stop_at = now or timezone.now(), time.monotonic() + RUN_SECONDS
    checks, waiting_hosts = [], set()
    for article in posts_due(now)[: settings.ORIGINAL_CHECKS_PER_MINUTE * 4]:
        host = politeness.host_of(article.url)
        if host in waiting_hosts or politeness.host_pause(host) is not None:
            continue
        if time.monotonic() > stop_at or not politeness.within_budget("originals", settings.ORIGINAL_CHECKS_PER_MINUTE):
            break
        check = original_check(article=article, now=now)
        if check.skipped:
            waiting_hosts.add(host)
        else:
            checks.append(check)
    return checks


def original_check(*, article: Article, now: datetime | None = None, dry_run: bool = False) -> OriginalCheck:
    """Ask for the post's original once and record what it found (nothing is written with dry_run)."""
    now = now or timezone.now()
    check = OriginalCheck(article_id=article.pk, url=article.url)
    limits, agent = replace(DEFAULT_LIMITS, host_wait=HOST_WAIT_SECONDS), article.source.user_agent
    try:
        result = fetch_status(article.url, limits=limits, agent=agent)
        if result.status in HEAD_REFUSED:
            result = fetch_status(article.url, method="GET", limits=limits, agent=agent)
    except politeness.HostNotNow as error:
        check.skipped = str(error)  # not recorded: the post is due again at the next run
        return check
    except FetchError as error:
        check.error = str(error)
    else:
        check.status, check.moved_to = result.status, result.moved_to if result.moved_to != article.url else ""
        check.removed = result.status in REMOVED and article.original_removed_at is None
        check.hidden = check.removed and article.source.hide_when_original_removed and article.status == "published"
    if not dry_run:
        _record(article, check, now)
    return check


def _record(article: Article, check: OriginalCheck, now: datetime) -> None:
    changes = {"original_checked_at": now, "original_checks_done": _stages_passed(article, now)}
    if check.removed:
        changes["original_removed_at"] = now
    if check.hidden:
        changes["status"] = Article.Status.HIDDEN
    if check.moved_to:
        changes["url"] = check.moved_to
    with transaction.atomic():
        Article.objects.filter(pk=article.pk).update(**changes)
        if check.hidden or check.moved_to:
            invalidate_posts_on_commit([article.pk])


def _stages_passed(article: Article, now: datetime) -> int:
    """How many scheduled checks are behind us: a late run counts as all of them, never as several in a row."""
    passed = sum(article.published_at + after <= now for after in SCHEDULE)
    return min(max(article.original_checks_done + 1, passed), len(SCHEDULE))
