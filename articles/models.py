from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.core.validators import URLValidator
from django.db import models
from django.db.models import Case, F, Q, Value, When
from django.utils import timezone

from articles.links import link
from articles.search_document import SearchDocument

EXCERPT_MAX_CHARS = 900


def validate_image_address(value: str) -> None:
    """A full http(s) address, or a path on this site ("/static/...", not "//host/...")."""
    if value.startswith("/") and not value.startswith("//"):
        return
    URLValidator(schemes=["http", "https"])(value)


class Label(models.Model):
    """A topic taken from feed entries' categories, normalised (case and whitespace folded)."""

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=120, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return link("articles:label", self.slug)


# What includes/post_card.html and its cache key read.
CARD_FIELDS = (
    "title",
    "slug",
    "url_year",
    "url_month",
    "excerpt",
    "image_url",
    "is_featured",
    "published_at",
    "source__name",
    "source__slug",
)


class ArticleQuerySet(models.QuerySet):
    def published(self):
        return self.filter(status=Article.Status.PUBLISHED)

    def with_source(self):
        return self.select_related("source")

    def for_cards(self):
        """With only the columns a post card shows: a list never loads its posts' bodies."""
        return self.select_related("source").only(*CARD_FIELDS)

    def newest_first(self):
        return self.order_by("-published_at", "-id")

    def featured_first(self):
        return self.order_by("-is_featured", "-published_at", "-id")

    def in_year_newest_first(self, year: int):
        """A year's posts month by month, newest first: the order the archive index holds them in."""
        return self.filter(url_year=year).order_by("-url_month", "-published_at", "-id")

    def in_month(self, year: int, month: int):
        return self.filter(url_year=year, url_month=month)

    def month_counts(self):
        """(url_year, url_month, posts) rows, newest month first, for the blog archive."""
        return (
            self.order_by()
            .values_list("url_year", "url_month")
            .annotate(posts=models.Count("id"))
            .order_by("-url_year", "-url_month")
        )


class ArticleManager(models.Manager.from_queryset(ArticleQuerySet)):
    def get_queryset(self):
        # Only search reads the stored document, and inside the query: pages never load it into Python.
        return super().get_queryset().defer("search_document")


PUBLISHED = Q(status="published")


def promote_next_copy(collector, field, sub_objs, using):
    """on_delete of story_lead: a deleted lead's story keeps a lead. Its next copy by the lead-choice rule (the
    highest source priority, then the first stored) leads, published, and the other copies follow it. Copies
    deleted in the same operation are left to it."""
    deleted = {obj.pk for obj in collector.data.get(field.model, ())}
    ids = [obj.pk for obj in sub_objs if obj.pk not in deleted]
    rows = field.model._base_manager.using(using).filter(pk__in=ids).order_by("-source__priority", "pk")
    new_leads: dict[int, int] = {}
    for pk, old_lead in rows.values_list("pk", "story_lead_id"):
        if old_lead not in new_leads:
            new_leads[old_lead] = pk
            collector.add_field_update(field, None, [field.model(pk=pk)])
            collector.add_field_update(field.model._meta.get_field("status"), "published", [field.model(pk=pk)])
        else:
            collector.add_field_update(field, new_leads[old_lead], [field.model(pk=pk)])


class Article(models.Model):
    """A post republished from a source; public at /YYYY/MM/slug.html."""

    class Status(models.TextChoices):
        PUBLISHED = "published", "Published"
        HIDDEN = "hidden", "Hidden"
        # From a source in review mode, waiting for an editor.
        PENDING = "pending", "Pending review"
        # An editor turned it down; the feed repeating it never brings it back.
        REJECTED = "rejected", "Rejected"
        # Another post of the same story leads (story_lead): stored so its guid dedupes, listed nowhere.
        COPY = "copy", "Copy in a story"

    class StoryDecision(models.TextChoices):
        NONE = "", "None"
        SPLIT = "split", "Split from its story"
        LEAD = "lead", "Chosen as the story's lead"
        COPY = "copy", "Merged into a story"

    # No index of its own: the (source, guid) constraint and the source list's index lead with it.
    source = models.ForeignKey("feeds.Source", on_delete=models.CASCADE, related_name="articles", db_index=False)
    # The upstream entry's identity; together with source it is what makes ingest idempotent.
    guid = models.CharField(max_length=512)
    url = models.URLField("original URL", max_length=2000)
    title = models.CharField(max_length=500)
    # The public URL is fixed at first store: url_year/url_month/slug never change afterwards. A slug is only ever
    # looked up with its year and month, which the unique (url_year, url_month, slug) index serves.
    slug = models.SlugField(max_length=200, db_index=False)
    url_year = models.PositiveSmallIntegerField(editable=False)
    url_month = models.PositiveSmallIntegerField(editable=False)
    author = models.CharField(max_length=200, blank=True)
    # Sanitized once at ingest; the only field ever rendered with |safe.
    body_html = models.TextField(blank=True)
    excerpt = models.TextField(blank=True, help_text=f"Plain text, up to about {EXCERPT_MAX_CHARS} characters.")
    # A CharField: the bundled samples' images are paths on this site ("/static/..."), see feeds/samples.py.
    image_url = models.CharField(
        "image URL",
        max_length=2000,
        blank=True,
        validators=[validate_image_address],
        help_text="A full address (https://...), or a path on this site (/static/...).",
    )
    labels = models.ManyToManyField(Label, related_name="articles", blank=True)

    # Indexed with id in every order lists read it (Meta.indexes).
    published_at = models.DateTimeField()
    fetched_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    # Hash of the raw upstream entry: an unchanged entry is neither sanitized nor written again.
    content_hash = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PUBLISHED)
    is_featured = models.BooleanField("featured", default=False)
    total_views = models.PositiveBigIntegerField(default=0)
    # Set when an editor changes the post: ingest then keeps the editor's version.
    edited_by_editor = models.BooleanField(default=False)
    # When upstream last changed a post whose editor's version was kept.
    upstream_changed_at = models.DateTimeField(null=True, blank=True)
    # The last editor's decision on the post (published, hidden, rejected, featured...), by whom and when: re-applied
    # source rules never undo it.
    decision = models.CharField("editor's decision", max_length=20, blank=True, db_default="")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    # One story, one post (articles/stories/): the normalized original URL's key (feeds/ingest/identity.py) and,
    # for a copy, the post that leads its story. A post without a lead is a story of its own.
    story_key = models.CharField(max_length=32, blank=True, editable=False, db_default="", default="")
    story_lead = models.ForeignKey(
        "self", on_delete=promote_next_copy, null=True, blank=True, related_name="story_copies", editable=False
    )
    # An editor's split or merge, which ingest never undoes.
    story_decision = models.CharField(
        max_length=5, choices=StoryDecision.choices, blank=True, editable=False, db_default="", default=""
    )
    # The original after publishing (feeds/originals.py): how many of its scheduled re-checks ran, when the last
    # one did, and when it found the original gone (404/410). New columns are nullable or have a database default,
    # so the release before them keeps working (expand/contract).
    original_checks_done = models.PositiveSmallIntegerField(default=0, db_default=0, editable=False)
    original_checked_at = models.DateTimeField(null=True, blank=True, editable=False)
    original_removed_at = models.DateTimeField("original removed", null=True, blank=True, editable=False)
    # When an upstream edit added a correction, clarification, editor's note or retraction (articles/revisions.py).
    corrected_upstream_at = models.DateTimeField("corrected upstream", null=True, blank=True, editable=False)
    # Search matches and ranks on this stored tsvector instead of computing one per row and query; PostgreSQL
    # keeps it up to date on every write (Django never writes it), and the GIN index (migration 0005) is on it.
    search_document = models.GeneratedField(
        expression=SearchDocument(), output_field=SearchVectorField(), db_persist=True
    )

    objects = ArticleManager()

    class Meta:
        # "post" at the desk and on the site alike.
        verbose_name = "post"
        ordering = ["-published_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["source", "guid"], name="article_unique_source_guid"),
            models.UniqueConstraint(fields=["url_year", "url_month", "slug"], name="article_unique_month_slug"),
        ]
        # Every list reads the top of an index in the order it sorts, so its cost does not grow with the archive
        # (tests/articles/test_query_plans.py checks each page's plan). The public lists' indexes hold published
        # posts only: smaller, and a hidden post costs them nothing.
        indexes = [
            models.Index(
                F("is_featured").desc(),
                F("published_at").desc(),
                F("id").desc(),
                name="article_home_idx",
                condition=PUBLISHED,
            ),
            # Our feeds, the sitemap, label pages, search's newest matches, previous/next on a post.
            models.Index(F("published_at").desc(), F("id").desc(), name="article_newest_idx", condition=PUBLISHED),
            models.Index(
                "source", F("published_at").desc(), F("id").desc(), name="article_source_idx", condition=PUBLISHED
            ),
            # Month archives; year archives read it month by month.
            models.Index(
                "url_year",
                F("url_month").desc(),
                F("published_at").desc(),
                F("id").desc(),
                name="article_archive_idx",
                condition=PUBLISHED,
            ),
            # The all-time popular ranking.
            models.Index(
                F("total_views").desc(),
                F("published_at").desc(),
                F("id").desc(),
                name="article_popular_idx",
                condition=PUBLISHED,
            ),
            # A new entry's lookup of an earlier post of its story by URL.
            models.Index("story_key", name="article_story_key_idx", condition=~Q(story_key="")),
            # The admin's list (every status) and the retention purge's date range.
            models.Index(F("published_at").desc(), F("id").desc(), name="article_admin_idx"),
        ]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        if self.url_year is None or self.url_month is None:
            self.set_url_month()
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return link("articles:detail", self.url_year, f"{self.url_month:02d}", self.slug)

    def set_url_month(self) -> None:
        """The public URL's year and month: the month it was published in, in the site's time zone."""
        local = timezone.localtime(self.published_at)
        self.url_year, self.url_month = local.year, local.month

    @property
    def byline(self) -> str:
        """The author shown on the post, as its source's author mode says."""
        return self.source.byline(self.author)


# The moderation desk's order: pending comments first. An expression, so that an index can hold it.
PENDING_FIRST = Case(When(status="pending", then=Value(0)), default=Value(1))


class CommentQuerySet(models.QuerySet):
    def approved(self):
        return self.filter(status=Comment.Status.APPROVED)

    def pending(self):
        return self.filter(status=Comment.Status.PENDING)


class Comment(models.Model):
    """A reader's plain-text comment on a post, shown once an editor approves it."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        APPROVED = "approved", "Approved"
        SPAM = "spam", "Spam"
        # Not spam, but not for the site (off topic, abusive): kept out of the spam counts.
        REJECTED = "rejected", "Rejected"

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="comments")
    author_name = models.CharField(max_length=80)
    # Never shown on the site.
    email = models.EmailField(blank=True)
    body = models.TextField(max_length=5000)
    created_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    # Salted hash of the poster's address, for rate limits and spam clean-up; the address is not stored.
    ip_hash = models.CharField("address hash (not the address)", max_length=64, blank=True)

    objects = CommentQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["article", "status", "created_at", "id"], name="comment_article_idx"),
            models.Index(fields=["status", "-created_at"], name="comment_queue_idx"),
            # The moderation desk's list: pending first, then newest.
            models.Index(PENDING_FIRST, F("created_at").desc(), F("id").desc(), name="comment_desk_idx"),
        ]

    def __str__(self):
        return f"{self.author_name} on {self.article}"


class ArticleDailyViews(models.Model):
    """Views of one post on one day (site time zone), moved here from Redis by the view flush."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="daily_views")
    date = models.DateField()
    views = models.PositiveIntegerField(default=0)
    # Distinct visitors that day (HyperLogLog estimate).
    unique_visitors = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = "daily views of a post"
        verbose_name_plural = "daily post views"
        constraints = [models.UniqueConstraint(fields=["article", "date"], name="daily_views_unique_article_date")]
        indexes = [models.Index(fields=["date", "article"], name="daily_views_date_idx")]

    def __str__(self):
        return f"{self.article_id} on {self.date}: {self.views}"


class ArticleRevision(models.Model):
    """A post's title and body as they were before an upstream edit replaced them; the last 10 per post are kept."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="revisions")
    title = models.CharField(max_length=500)
    body_html = models.TextField(blank=True)
    replaced_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-replaced_at", "-id"]
        indexes = [models.Index("article", F("replaced_at").desc(), name="revision_article_idx")]

    def __str__(self):
        return f"{self.title} (until {self.replaced_at:%Y-%m-%d %H:%M})"


class ViewFlush(models.Model):
    """One batch of view counts moved from Redis into the database, kept so no batch is applied twice."""

    # The id of the batch's in-flight key in Redis; written in the same transaction as the counts.
    flush_id = models.CharField(max_length=64, unique=True)
    applied_at = models.DateTimeField(default=timezone.now, db_index=True)
    views = models.PositiveBigIntegerField(default=0)
    rows = models.PositiveIntegerField(default=0)

    def __str__(self):
        return f"flush {self.flush_id} at {self.applied_at}: {self.views} views"


class PurgedPost(models.Model):
    """What `purgearticles` removed, by source and guid, so that a later poll does not store it again."""

    source = models.ForeignKey("feeds.Source", on_delete=models.CASCADE, related_name="purged_posts")
    guid = models.CharField(max_length=512)
    purged_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["source", "guid"], name="purged_unique_source_guid")]

    def __str__(self):
        return f"{self.guid} (purged {self.purged_at:%Y-%m-%d})"


class StorySignature(models.Model):
    """A post's MinHash text signature (feeds/ingest/identity.py), kept to confirm near-duplicate candidates."""

    article = models.OneToOneField(Article, on_delete=models.CASCADE, primary_key=True, related_name="story_signature")
    # The post's source, copied here so that confirming candidates reads this table alone (no join with posts).
    source_id = models.BigIntegerField(null=True, editable=False)
    published_at = models.DateTimeField()
    signature = models.BinaryField()

    def __str__(self):
        return f"signature of post {self.article_id}"


class StoryBand(models.Model):
    """One LSH band key of a post's signature: posts sharing a key are near-duplicate candidates.

    In the database, so that every worker shares one index and it survives restarts.
    """

    # No foreign key constraint in the database: checking it cost every poll's commit one lookup of a post for each
    # of its new posts' 16 band rows, some 2.5 ms a poll (bench/stories.py, ingest's drop). Nothing is lost: a band
    # row is written only with its post's signature row, whose constraint holds; a post's bands go with it (the
    # deletion's cascade, as before); and the lookup reads a band only through its signature row.
    article = models.ForeignKey(
        Article, on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )
    band = models.BigIntegerField()
    published_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["band", "published_at"], name="story_band_idx"),
            models.Index(fields=["article"], name="story_band_article_idx"),
        ]

    def __str__(self):
        return f"band {self.band} of post {self.article_id}"
