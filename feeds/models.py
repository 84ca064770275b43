from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from feeds.websub.models import WebSubPush, WebSubSubscription  # noqa: F401 - models of this app, kept in their package

# Active sources whose fetches succeed but which stopped publishing (feeds/silence.py).
SILENT = Q(is_active=True, consecutive_failures=0, silent_since__isnull=False)


class SourceQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)

    def due(self, now=None):
        """Active sources whose next poll time has come (or was never set)."""
        now = now or timezone.now()
        return self.active().filter(Q(next_poll_at__isnull=True) | Q(next_poll_at__lte=now))

    def silent(self):
        """Active sources whose fetches succeed but which stopped publishing (feeds/silence.py)."""
        return self.filter(SILENT)

    def failing(self):
        return self.filter(consecutive_failures__gt=0)


class PublishMode(models.TextChoices):
    PUBLISH = "publish", "Publish at once"
    REVIEW = "review", "Wait for review"


AUTHOR_UPSTREAM = "upstream"
AUTHOR_SOURCE = "source"


def canonical_default() -> bool:
    """A new source's canonical link follows the site-wide CANONICAL_TO_ORIGINAL setting."""
    return settings.CANONICAL_TO_ORIGINAL


class ContentMode(models.TextChoices):
    FEED = "feed", "As the feed gives it"
    FULL_TEXT = "full_text", "Full text from the article page"
    EXCERPT = "excerpt", "Excerpt and a link"


class Source(models.Model):
    """An upstream RSS/Atom/JSON feed we republish, with the state of its fetching."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=100, unique=True)
    feed_url = models.URLField("feed URL", max_length=2000, unique=True)
    # Kept when a permanent redirect moved the feed, so editors can see where it came from.
    previous_feed_url = models.URLField("previous feed URL", max_length=2000, blank=True)
    site_url = models.URLField("site URL", max_length=2000, blank=True)
    # The folder of a subscription list ("Tech/Europe" for nested ones); OPML export writes it back as outlines.
    category = models.CharField(
        max_length=200, blank=True, db_default="", help_text="A folder for OPML export, e.g. Tech or Tech/Europe."
    )
    is_active = models.BooleanField("active", default=True)
    # When several sources carry one story, the copy from the source with the highest priority leads it.
    priority = models.IntegerField(
        default=0, db_default=0, help_text="Higher wins: this source's copy of a story leads it over other sources'."
    )
    # Blank: adaptive, from the source's posting rate, around FEEDS_DEFAULT_INTERVAL_MINUTES.
    poll_interval_minutes = models.PositiveIntegerField(
        "poll interval (minutes)",
        null=True,
        blank=True,
        help_text="Leave blank to adapt to how often the source posts.",
    )
    # Republishing rules (feeds/ingest/rules.py, README "Republishing rules"). db_default: expand/contract.
    keep_rules = models.TextField(
        blank=True,
        db_default="",
        help_text="One rule a line: a word or phrase, or re:<pattern>; optionally after title:, content:, author: "
        "or category:. If any, only entries matching one of them are taken.",
    )
    block_rules = models.TextField(
        blank=True, db_default="", help_text="Same form as keep rules; an entry matching one is never taken."
    )
    # The rules the last poll had to leave out (refused by the engine), so the editor sees why a rule does nothing.
    rules_error = models.TextField("rule problems", blank=True, db_default="", editable=False)
    publish_mode = models.CharField(
        max_length=10,
        choices=PublishMode.choices,
        default=PublishMode.PUBLISH,
        db_default=PublishMode.PUBLISH,
        help_text="Review: new posts wait in the Pending review queue until an editor publishes or rejects them.",
    )
    content_mode = models.CharField(
        max_length=10,
        choices=ContentMode.choices,
        default=ContentMode.FEED,
        db_default=ContentMode.FEED,
        help_text="Full text: fetch each new entry's page and keep its article. Excerpt: keep only the first "
        "900 characters, with a link to read on at the source.",
    )
    remove_selectors = models.TextField(
        blank=True,
        db_default="",
        help_text="One CSS selector a line (e.g. .share-bar, aside.related): those elements are removed from the "
        "content, feed or full text, before it is stored.",
    )
    canonical_to_original = models.BooleanField(
        "canonical link to the original",
        default=canonical_default,
        db_default=True,
        help_text="Post pages name the original article as canonical; off: our own page.",
    )
    noindex = models.BooleanField(
        "keep out of search engines",
        default=False,
        db_default=False,
        help_text='Post pages say <meta name="robots" content="noindex"> and are left out of the sitemap.',
    )
    author_mode = models.CharField(
        "author shown",
        max_length=200,
        default=AUTHOR_UPSTREAM,
        db_default=AUTHOR_UPSTREAM,
        help_text=f'"{AUTHOR_UPSTREAM}": the entry\'s author; "{AUTHOR_SOURCE}": the source\'s name; anything else: '
        "that name on every post.",
    )
    # Hide a post at once when its original is found removed (an editor may publish it again; that sticks).
    hide_when_original_removed = models.BooleanField(
        default=False,
        db_default=False,
        help_text="Hide a post as soon as its original article is found removed (404/410).",
    )
    # For the sites that refuse our own User-Agent: sent instead of it for this source's feed and its pages.
    user_agent = models.CharField(
        "User-Agent",
        max_length=300,
        blank=True,
        db_default="",
        validators=[RegexValidator(r"^[ -~]*$", "A User-Agent is printable ASCII on one line.")],
        help_text="Leave blank to send ours. Only for a site that refuses it: this value is sent instead, for the feed "
        "and its article pages.",
    )
    # Why the source was switched off automatically (e.g. the feed answered 410 Gone).
    disabled_reason = models.CharField(max_length=500, blank=True)

    etag = models.CharField("ETag", max_length=500, blank=True)
    last_modified = models.CharField("Last-Modified", max_length=100, blank=True)
    # The fingerprint (feeds/ingest/fingerprint.py) of the document last ingested: the same again is not parsed.
    # db_default: code of the release before it (which never sets it) can still add sources (expand/contract).
    content_digest = models.CharField(max_length=64, blank=True, editable=False, db_default="")
    last_polled_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    next_poll_at = models.DateTimeField(null=True, blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    # Set at a successful poll that finds no new entry for far longer than the source's rhythm (feeds/silence.py);
    # cleared by the poll that brings a new one. Nullable, so the release before it can still add sources.
    silent_since = models.DateTimeField(null=True, blank=True, editable=False)
    last_error = models.TextField(blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SourceQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["is_active", "next_poll_at"], name="source_due_idx")]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("articles:source", args=[self.slug])

    def byline(self, upstream_author: str) -> str:
        """The author a post of this source shows: the entry's, the source's name, or a fixed name."""
        if self.author_mode == AUTHOR_UPSTREAM:
            return upstream_author
        if self.author_mode == AUTHOR_SOURCE:
            return self.name
        return self.author_mode


class FetchAttempt(models.Model):
    """One poll of a source, successful or not, or one WebSub push ingested."""

    class Outcome(models.TextChoices):
        OK = "ok", "OK"
        NOT_MODIFIED = "not_modified", "Not modified"
        ERROR = "error", "Error"
        # Not fetched: its host was backing off or busy (feeds/politeness); the next poll time says when.
        DEFERRED = "deferred", "Deferred"

    class Kind(models.TextChoices):
        POLL = "poll", "Poll"
        PUSH = "push", "Push"

    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="fetch_attempts")
    started_at = models.DateTimeField(default=timezone.now)
    duration_ms = models.PositiveIntegerField(default=0)
    http_status = models.PositiveSmallIntegerField("HTTP status", null=True, blank=True)
    bytes_received = models.PositiveBigIntegerField(default=0)
    entries_seen = models.PositiveIntegerField(default=0)
    entries_new = models.PositiveIntegerField(default=0)
    entries_updated = models.PositiveIntegerField(default=0)
    # Entries left out because they could not be prepared or stored; the first one's reason is in `error`.
    # db_default: workers still running the previous release can record attempts while this one migrates.
    entries_skipped = models.PositiveIntegerField(default=0, db_default=0)
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.POLL, db_default=Kind.POLL)
    error = models.TextField(blank=True)
    # Entries stored with something missing, one line each (e.g. the feed's content kept when full text failed).
    entry_notes = models.TextField(blank=True, db_default="")

    class Meta:
        ordering = ["-started_at"]
        indexes = [
            models.Index(fields=["source", "-started_at"], name="fetch_source_recent_idx"),
            models.Index(fields=["started_at"], name="fetch_started_idx"),
        ]

    def __str__(self):
        return f"{self.source} at {self.started_at:%Y-%m-%d %H:%M}: {self.get_outcome_display()}"


class SchedulerRun(models.Model):
    """When a scheduler last looked for due sources: Celery beat's poll_due_sources, or `pollfeeds --due`.

    Kept in the database because the embedded default has no shared cache between its processes.
    """

    name = models.CharField(max_length=50, unique=True)
    ran_at = models.DateTimeField()

    def __str__(self):
        return f"{self.name} at {self.ran_at:%Y-%m-%d %H:%M}"


class RulesRun(models.Model):
    """One application of a source's rules to its stored posts (admin Apply or `applyrules`), with its progress."""

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        CANCELLED = "cancelled", "Cancelled"
        FAILED = "failed", "Failed"

    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="rules_runs")
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    # Selectors or the content mode changed: the run re-extracts the bodies (feeds/reextract.py).
    refresh = models.BooleanField(default=False)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    hidden = models.PositiveIntegerField(default=0)
    shown = models.PositiveIntegerField(default=0)
    refreshed = models.PositiveIntegerField(default=0)
    # Posts left as an editor decided (hid, published, featured, rejected or edited them).
    kept = models.PositiveIntegerField(default=0)
    # Posts that could not be re-extracted (they keep their body); error says which and why, one line each.
    failed = models.PositiveIntegerField(default=0, db_default=0)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"rules of {self.source} at {self.created_at:%Y-%m-%d %H:%M}: {self.get_state_display()}"
