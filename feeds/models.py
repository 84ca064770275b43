from django.db import models
from django.db.models import Q
from django.utils import timezone

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
    # Blank: adaptive, from the source's posting rate, around FEEDS_DEFAULT_INTERVAL_MINUTES.
    poll_interval_minutes = models.PositiveIntegerField(
        "poll interval (minutes)",
        null=True,
        blank=True,
        help_text="Leave blank to adapt to how often the source posts.",
    )
    # Hide a post at once when its original is found removed (an editor may publish it again; that sticks).
    hide_when_original_removed = models.BooleanField(
        default=False,
        db_default=False,
        help_text="Hide a post as soon as its original article is found removed (404/410).",
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


class FetchAttempt(models.Model):
    """One poll of a source, successful or not."""

    class Outcome(models.TextChoices):
        OK = "ok", "OK"
        NOT_MODIFIED = "not_modified", "Not modified"
        ERROR = "error", "Error"

    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="fetch_attempts")
    started_at = models.DateTimeField(default=timezone.now)
    duration_ms = models.PositiveIntegerField(default=0)
    http_status = models.PositiveSmallIntegerField("HTTP status", null=True, blank=True)
    bytes_received = models.PositiveBigIntegerField(default=0)
    entries_seen = models.PositiveIntegerField(default=0)
    entries_new = models.PositiveIntegerField(default=0)
    entries_updated = models.PositiveIntegerField(default=0)
    # Entries left out because they could not be prepared or stored; the first one's reason is in `error`.
    entries_skipped = models.PositiveIntegerField(default=0, db_default=0)
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at"]
        indexes = [
            models.Index(fields=["source", "-started_at"], name="fetch_source_recent_idx"),
            models.Index(fields=["started_at"], name="fetch_started_idx"),
        ]

    def __str__(self):
        return f"{self.source} at {self.started_at:%Y-%m-%d %H:%M}: {self.get_outcome_display()}"
