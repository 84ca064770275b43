"""Rules reach stored posts: preview what a source's rules would change, then apply them in batches.

What applying may change: a post the rules no longer take is hidden; a post the rules hid before and now take is
shown again; with new selectors or a new content mode, posts are re-extracted here and now (feeds/reextract.py:
the article page again in full-text mode, the stored content in the others), whether or not they are still in the
feed; a post that cannot be re-extracted keeps its body and the run says why. In feed mode the stored hash is
cleared too, so that posts still in the feed get the feed's own content at the next poll. It never touches a post
an editor decided on (Article.decision) or edited by hand: that post keeps its state.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.html import strip_tags

from articles.models import Article
from articles.pagecache import invalidate_posts_on_commit
from feeds.ingest.rules import EntryText, RuleSet, rule_set
from feeds.models import ContentMode, RulesRun, Source
from feeds.reextract import posts_reextract
from feeds.republishing import source_rules

PREVIEW_POSTS = 200
BATCH = 200
# Settings whose change means stored bodies would come out differently.
EXTRACTION_FIELDS = ("remove_selectors", "content_mode")
EDITOR_DECIDED = ~Q(decision="") | Q(edited_by_editor=True)
SHOWN = (Article.Status.PUBLISHED, Article.Status.PENDING)


@dataclass
class Change:
    """Posts a rule change would hide, show again and re-extract (id and title each), and editor-kept ones."""

    hide: list[tuple[int, str]] = field(default_factory=list)
    show: list[tuple[int, str]] = field(default_factory=list)
    refresh: list[tuple[int, str]] = field(default_factory=list)
    kept: int = 0
    checked: int = 0


def _text(post: Article) -> EntryText:
    labels = "\n".join(label.name for label in post.labels.all())
    return EntryText(title=post.title, content=strip_tags(post.body_html), author=post.author, category=labels)


def _changes(posts: Iterable[Article], rules: RuleSet, *, refresh: bool) -> Change:
    change = Change()
    for post in posts:
        change.checked += 1
        if post.decision or post.edited_by_editor:
            change.kept += 1
            continue
        taken = rules.empty or rules.takes(_text(post))
        if not taken and post.status in SHOWN:
            change.hide.append((post.pk, post.title))
        elif taken and post.status == Article.Status.HIDDEN:
            change.show.append((post.pk, post.title))
        if taken and refresh:
            change.refresh.append((post.pk, post.title))
    return change


def _posts(source: Source):
    return source.articles.order_by("-published_at", "-id").prefetch_related("labels").defer("search_document")


def rules_preview(*, source: Source, new: dict, limit: int | None = PREVIEW_POSTS) -> Change:
    """What the rules in `new` (field -> value, over the source's current ones) would do to its last `limit` posts
    (all of them with None)."""
    rules = rule_set(
        keep_rules=new.get("keep_rules", source.keep_rules), block_rules=new.get("block_rules", source.block_rules)
    )
    refresh = any(new.get(name, getattr(source, name)) != getattr(source, name) for name in EXTRACTION_FIELDS)
    posts = _posts(source)
    return _changes(posts if limit is None else posts[:limit], rules, refresh=refresh)


def rules_run_start(*, source: Source, refresh: bool, user=None) -> RulesRun:
    """A queued run for the source's current rules; the caller enqueues rules_run_execute(run) on commit."""
    return RulesRun.objects.create(source=source, started_by=user, total=source.articles.count(), refresh=refresh)


def rules_run_execute(*, run: RulesRun, on_progress: Callable[[RulesRun], None] | None = None) -> RulesRun:
    """Apply the source's current rules to all its posts, a batch per transaction; stops when the run is cancelled."""
    source = run.source
    compiled = source_rules(source)
    rules = compiled.rules
    queued = RulesRun.objects.filter(pk=run.pk, state=RulesRun.State.QUEUED)
    if not queued.update(state=RulesRun.State.RUNNING):
        run.refresh_from_db()
        return run  # cancelled before it started, or already run by another worker
    run.state = RulesRun.State.RUNNING
    last_id = None
    while True:
        if RulesRun.objects.filter(pk=run.pk, state=RulesRun.State.CANCELLED).exists():
            run.state = RulesRun.State.CANCELLED
            break
        batch = list(_batch_after(source, last_id))
        if not batch:
            run.state = RulesRun.State.DONE
            break
        change = _changes(batch, rules, refresh=run.refresh)
        # Pages are fetched before the batch's transaction, which then only writes.
        refresh_ids = {pk for pk, _title in change.refresh}
        reextracted = posts_reextract(
            source=source, posts=[post for post in batch if post.pk in refresh_ids], selectors=compiled.selectors
        )
        _apply(run, change, reextracted)
        last_id = batch[-1].pk
        if on_progress:
            on_progress(run)
    _save(run, "state", "finished_at", finished_at=timezone.now())
    return run


def _batch_after(source: Source, last_id: int | None):
    posts = source.articles.order_by("id").prefetch_related("labels").defer("search_document")
    if last_id is not None:
        posts = posts.filter(id__gt=last_id)
    return posts[:BATCH]


def _apply(run: RulesRun, change: Change, reextracted) -> None:
    hide, show = ([pk for pk, _title in rows] for rows in (change.hide, change.show))
    undecided = Article.objects.exclude(EDITOR_DECIDED)
    with transaction.atomic():
        undecided.filter(pk__in=hide, status__in=SHOWN).update(status=Article.Status.HIDDEN)
        undecided.filter(pk__in=show, status=Article.Status.HIDDEN).update(status=Article.Status.PUBLISHED)
        refreshed = _write_bodies(run, undecided, reextracted.bodies)
        invalidate_posts_on_commit(hide + show + refreshed)
        run.done += change.checked
        run.hidden += len(hide)
        run.shown += len(show)
        run.refreshed += len(refreshed)
        run.kept += change.kept
        run.failed += len(reextracted.failures)
        run.error = "\n".join(filter(None, [run.error, *reextracted.failures]))[-MAX_ERROR_CHARS:]
        _save(run, "done", "hidden", "shown", "refreshed", "kept", "failed", "error")


# The run keeps the last lines about posts that could not be re-extracted, not an unbounded log.
MAX_ERROR_CHARS = 20_000


def _write_bodies(run: RulesRun, undecided, bodies: dict[int, tuple[str, str]]) -> list[int]:
    """Store the re-extracted bodies of posts still undecided (an editor may have acted meanwhile); their ids."""
    ids = list(undecided.filter(pk__in=bodies).values_list("pk", flat=True))
    now = timezone.now()
    posts = [Article(pk=pk, body_html=bodies[pk][0], excerpt=bodies[pk][1], updated_at=now) for pk in ids]
    Article.objects.bulk_update(posts, ["body_html", "excerpt", "updated_at"])
    if ids and run.source.content_mode == ContentMode.FEED:
        Article.objects.filter(pk__in=ids).update(content_hash="")
        Source.objects.filter(pk=run.source_id).update(content_digest="")
    return ids


def _save(run: RulesRun, *fields: str, **changes) -> None:
    """Write only these fields: a Cancel written meanwhile by the admin is not overwritten by a progress update."""
    for name, value in changes.items():
        setattr(run, name, value)
    RulesRun.objects.filter(pk=run.pk).update(**{name: getattr(run, name) for name in fields})


def rules_run_cancel(*, run: RulesRun) -> bool:
    """Ask a queued or running run to stop after its current batch; False when it had already finished."""
    active = (RulesRun.State.QUEUED, RulesRun.State.RUNNING)
    return bool(RulesRun.objects.filter(pk=run.pk, state__in=active).update(state=RulesRun.State.CANCELLED))
