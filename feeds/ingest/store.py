"""Store stage: the only stage that writes. Inserts new articles and updates changed ones; the (source, guid)
constraint guards against a concurrent poll storing the same entry.

Update rule: an upstream change replaces url, title, author, body, excerpt, image and labels, unless an editor
changed the post: then the editor's version stays and only upstream_changed_at (and the hash) move. published_at,
url_year/url_month and slug are fixed at first store and never change, so public URLs are stable. The title and
body an upstream change replaces are kept as the post's revision (articles/revisions.py, the last 10).
"""

import hashlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from itertools import count

from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import IntegerField, Q, Value
from django.utils.text import slugify

from articles.models import Article, Label, PurgedPost
from articles.revisions import Edit, revisions_keep
from articles.stories import stories_attach
from feeds.ingest.errors import TRANSIENT_DATABASE_ERRORS, error_summary
from feeds.ingest.identity import NEAR_COPIES, story_key
from feeds.ingest.parse import ParsedEntry
from feeds.models import Source
from newsblog import metrics

logger = logging.getLogger("feeds.poll")
MAX_SLUG = 80
FOLLOWS_UPSTREAM = ["url", "title", "author", "body_html", "excerpt", "image_url", "content_hash", "fetched_at"]


@dataclass
class PreparedEntry:
    """A parsed entry with its sanitized body, excerpt and image: ready to store."""

    parsed: ParsedEntry
    body_html: str
    excerpt: str
    image_url: str
    # For a new post only: published, or pending review (feeds/republishing.py); an update never changes it.
    status: str = Article.Status.PUBLISHED


@dataclass
class StoreResult:
    new: int = 0
    updated: int = 0
    editor_kept: int = 0
    # Entries that could not be prepared or stored: how many, and the first one's guid and reason.
    skipped: int = 0
    first_skipped: str = ""
    # What happened to single entries that were still stored (e.g. "full text failed: ..."), one line each.
    notes: list[str] = field(default_factory=list)
    # Some entries were left out to be taken by the next poll (e.g. its time for full-text pages ran out).
    retry_next_poll: bool = False
    # The posts written (new, changed upstream, or a stored lead a new copy joined): the caller drops the pages that
    # show them once it commits.
    written: list[int] = field(default_factory=list)

    def skip(self, *, guid: str, reason: str) -> None:
        self.skipped += 1
        self.first_skipped = self.first_skipped or f"{guid}: {reason}"

    def add(self, other: "StoreResult") -> None:
        self.new, self.updated, self.editor_kept = (
            self.new + other.new,
            self.updated + other.updated,
            self.editor_kept + other.editor_kept,
        )
        self.skipped += other.skipped
        self.first_skipped = self.first_skipped or other.first_skipped
        self.notes = self.notes + other.notes
        self.retry_next_poll = self.retry_next_poll or other.retry_next_poll
        self.written = self.written + other.written


# Stands for the hash of a purged post: it never equals an entry's hash, and such an entry is skipped.
PURGED = "purged"


@dataclass(frozen=True)
class StoredRow:
    """What the store needs to know of a guid already stored for the source (or purged: pk None, hash PURGED)."""

    pk: int | None
    content_hash: str
    edited_by_editor: bool = False


StoredRows = dict[str, StoredRow]


def stored_rows(*, source: Source, guids: Iterable[str]) -> StoredRows:
    """guid -> the source's stored row among guids, purged ones included (hash PURGED); one query a poll."""
    guids = list(guids)
    stored = (
        Article.objects.filter(source=source, guid__in=guids)
        .order_by()
        .values_list("guid", "id", "content_hash", "edited_by_editor")
    )
    purged = PurgedPost.objects.filter(source=source, guid__in=guids).values_list(
        "guid", Value(None, output_field=IntegerField()), Value(PURGED), Value(False)
    )
    return {
        guid: StoredRow(pk, content_hash, edited) for guid, pk, content_hash, edited in stored.union(purged, all=True)
    }


def store_entries_tolerant(
    *, source: Source, entries: list[PreparedEntry], now: datetime, stored: StoredRows | None = None
) -> StoreResult:
    """store_entries, but an entry the database refuses is skipped and reported instead of failing the feed.

    All entries go in one bulk write first; only if the database refuses that is each entry written on its own,
    each in a savepoint, so one bad entry costs its own row and nothing else. When it refuses every entry the
    fault is not an entry's: the first error is raised and the poll fails as a whole.
    """
    try:
        with transaction.atomic():
            return store_entries(source=source, entries=entries, now=now, stored=stored)
    except TRANSIENT_DATABASE_ERRORS:
        raise
    except DatabaseError as error:
        logger.info("bulk store for %s refused (%s); storing entry by entry", source.slug, error_summary(error))
    result, errors = StoreResult(), []
    for entry in entries:
        try:
            with transaction.atomic():
                result.add(store_entries(source=source, entries=[entry], now=now))
        except TRANSIENT_DATABASE_ERRORS:
            raise
        except DatabaseError as error:
            logger.warning("entry %s of %s skipped: %s", entry.parsed.guid, source.slug, error_summary(error))
            result.skip(guid=entry.parsed.guid, reason=error_summary(error))
            metrics.ENTRIES_SKIPPED.labels(reason="refused").inc()
            errors.append(error)
    if len(errors) == len(entries):
        raise errors[0]
    return result


def store_entries(
    *, source: Source, entries: list[PreparedEntry], now: datetime, stored: StoredRows | None = None
) -> StoreResult:
    """Insert new entries and apply upstream changes; call inside the poll's transaction with the source locked.

    stored is the poll's one read of the source's rows (stored_rows), made before the entries were prepared; read
    here when not given. A row another worker inserted since is caught by the (source, guid) constraint.
    """
    result = StoreResult()
    if not entries:
        return result
    if stored is None:
        stored = stored_rows(source=source, guids=[entry.parsed.guid for entry in entries])
    fresh = [entry for entry in entries if entry.parsed.guid not in stored]
    inserted, raced = _insert_new(source, fresh, now)
    if raced:
        # Stored by a concurrent poll between this poll's read and its lock: they are stored rows now.
        stored = {**stored, **stored_rows(source=source, guids=[entry.parsed.guid for entry in raced])}
    changed, kept = [], []
    for entry in entries:
        row = stored.get(entry.parsed.guid)
        if row is not None and row.pk is not None and row.content_hash != entry.parsed.raw_hash:
            (kept if row.edited_by_editor else changed).append((entry, row))
    updated = _apply_upstream_changes(source, changed, now)
    new = [article for article, _entry in inserted]
    if inserted or updated:
        _set_labels(
            new + updated,
            [entry for _article, entry in inserted] + [entry for entry, _row in changed],
            replace={row.pk for _entry, row in changed},
        )
        # A new post may be another copy of a stored story; an update keeps the story its post is in.
        leads: set[int] = set()
        stories_attach(articles=new, by_text=NEAR_COPIES, changed=leads)
        # Bulk writes send no signals: the caller drops the pages showing these posts.
        written = [article.pk for article in new + updated]
        result.written = written + sorted(leads.difference(written))
    if kept:
        Article.objects.bulk_update(
            [Article(pk=row.pk, content_hash=e.parsed.raw_hash, upstream_changed_at=now) for e, row in kept],
            ["content_hash", "upstream_changed_at"],
        )
    result.new, result.updated, result.editor_kept = len(inserted), len(changed), len(kept)
    return result


def _insert_new(
    source: Source, fresh: list[PreparedEntry], now: datetime
) -> tuple[list[tuple[Article, PreparedEntry]], list[PreparedEntry]]:
    """Insert the new entries' posts: (post, entry) for each inserted, and the entries another worker stored first.

    The insert runs in a savepoint: when the (source, guid) constraint refuses it, the guids stored meanwhile are
    read and the others inserted again. Any other refusal (a slug taken at the same moment) goes to the caller.
    """
    if not fresh:
        return [], []
    articles = _new_articles(source, fresh, now)
    try:
        with transaction.atomic():
            Article.objects.bulk_create(articles)
    except IntegrityError:
        taken = stored_rows(source=source, guids=[entry.parsed.guid for entry in fresh])
        if not taken:
            raise
        inserted, _none = _insert_new(source, [entry for entry in fresh if entry.parsed.guid not in taken], now)
        return inserted, [entry for entry in fresh if entry.parsed.guid in taken]
    return list(zip(articles, fresh, strict=True)), []


def _apply_upstream_changes(
    source: Source, changed: list[tuple[PreparedEntry, StoredRow]], now: datetime
) -> list[Article]:
    """Write the upstream changes of stored posts (FOLLOWS_UPSTREAM only), keeping the replaced text as revisions."""
    if not changed:
        return []
    updated = []
    for entry, row in changed:
        article = _article(source, entry, now)
        article.pk, article.updated_at = row.pk, now
        updated.append(article)
    # Before the update overwrites them: the replaced title and body become the post's revision.
    edits = _edits(updated, [row.pk for _entry, row in changed])
    Article.objects.bulk_update(updated, [*FOLLOWS_UPSTREAM, "updated_at"])
    revisions_keep(edits=edits, now=now)
    return updated


def _edits(updated: list[Article], ids: list[int]) -> list[Edit]:
    """The stored and the incoming text of each post an upstream edit changes (one query for the old bodies)."""
    if not updated:
        return []
    old = Article.objects.filter(pk__in=ids).order_by().only("title", "body_html").in_bulk()
    return [
        Edit(
            article_id=pk,
            old_title=old[pk].title,
            old_body_html=old[pk].body_html,
            new_title=article.title,
            new_body_html=article.body_html,
        )
        for pk, article in zip(ids, updated, strict=True)
        if pk in old
    ]


def _article(source: Source, entry: PreparedEntry, now: datetime) -> Article:
    parsed = entry.parsed
    return Article(
        source=source,
        guid=parsed.guid,
        url=parsed.url or source.site_url or source.feed_url,
        title=parsed.title or "(untitled)",
        author=parsed.author,
        body_html=entry.body_html,
        excerpt=entry.excerpt,
        image_url=entry.image_url,
        content_hash=parsed.raw_hash,
        story_key=story_key(parsed.url),
        fetched_at=now,
        published_at=parsed.published_at,
        status=entry.status,
    )


def _new_articles(source: Source, entries: list[PreparedEntry], now: datetime) -> list[Article]:
    articles = [_article(source, entry, now) for entry in entries]
    for article in articles:
        article.set_url_month()
    _assign_slugs(articles)
    return articles


def _assign_slugs(articles: list[Article]) -> None:
    """A slug unique within its month: the title's, else with a suffix derived from the source and guid.

    The same article gets the same slug on a retry; any number of sources may share a title and a guid.
    """
    options = [_slug_options(_base_slug(a.title), source_id=a.source_id, guid=a.guid) for a in articles]
    in_months = Q()
    for year, month in {(article.url_year, article.url_month) for article in articles}:
        in_months |= Q(url_year=year, url_month=month)
    candidates = [slug for article_options in options for slug in article_options]
    in_window = Article.objects.filter(in_months, slug__in=candidates).order_by()
    taken = set(in_window.values_list("url_year", "url_month", "slug"))
    for article, article_options in zip(articles, options, strict=True):
        free = (slug for slug in article_options if (article.url_year, article.url_month, slug) not in taken)
        article.slug = next(free, None) or _numbered_slug(article, article_options[-1], taken)
        taken.add((article.url_year, article.url_month, article.slug))


def _numbered_slug(article: Article, stem: str, taken: set[tuple[int, int, str]]) -> str:
    """The first free "<stem>-N": only reached when every hashed option is taken (by design, never in practice)."""
    month = (article.url_year, article.url_month)
    stored = Article.objects.filter(url_year=month[0], url_month=month[1], slug__startswith=f"{stem}-")
    taken = taken | {(*month, slug) for slug in stored.order_by().values_list("slug", flat=True)}
    return next(slug for n in count(2) if (*month, slug := f"{stem}-{n}") not in taken)


def _base_slug(title: str) -> str:
    return slugify(title, allow_unicode=False)[:MAX_SLUG].strip("-") or "post"


def _slug_options(base: str, *, source_id: int, guid: str) -> list[str]:
    digest = hashlib.sha256(f"{source_id}\n{guid}".encode()).hexdigest()
    return [base, f"{base}-{digest[:6]}", f"{base}-{digest[:12]}", f"{base}-{digest[:24]}"]


def _set_labels(articles: list[Article], entries: list[PreparedEntry], *, replace: set[int]) -> None:
    """Attach labels from entry categories; an article updated from upstream gets its label set replaced."""
    wanted = {
        article.pk: [normalise_label(name) for name in entry.parsed.categories]
        for article, entry in zip(articles, entries, strict=True)
    }
    names = {name for names in wanted.values() for name in names if name}
    labels = labels_for(names)
    through = Article.labels.through
    if replace:
        through.objects.filter(article_id__in=replace).delete()
    links = [
        through(article_id=article_id, label_id=labels[name].pk)
        for article_id, article_names in wanted.items()
        for name in dict.fromkeys(article_names)
        if name in labels
    ]
    through.objects.bulk_create(links, ignore_conflicts=True)


def normalise_label(name: str) -> str:
    """A category name with case and whitespace folded: "  World  News " -> "world news"."""
    return " ".join(name.split()).lower()[:100]


def labels_for(names: set[str]) -> dict[str, Label]:
    """name -> Label for every name, creating the missing ones with unique slugs."""
    if not names:
        return {}
    labels = {label.name: label for label in Label.objects.filter(name__in=names)}
    missing = sorted(names - labels.keys())
    if missing:
        candidates = [_label_slug(name, attempt) for name in missing for attempt in range(5)]
        taken = set(Label.objects.filter(slug__in=candidates).values_list("slug", flat=True))
        new = []
        for name in missing:
            slug = next(slug for n in range(10_000) if (slug := _label_slug(name, n)) not in taken)
            taken.add(slug)
            new.append(Label(name=name, slug=slug))
        # A concurrent poll may create the same label: ignore that conflict and read back what is stored.
        Label.objects.bulk_create(new, ignore_conflicts=True)
        labels.update({label.name: label for label in Label.objects.filter(name__in=missing)})
    return labels


def _label_slug(name: str, attempt: int) -> str:
    base = slugify(name)[:110].strip("-") or "label"
    return base if attempt == 0 else f"{base}-{attempt + 1}"
