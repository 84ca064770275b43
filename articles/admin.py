from datetime import timedelta

from django.contrib import admin
from django.db import models, transaction
from django.db.models import Count, IntegerField, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.template.defaultfilters import pluralize
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html

from articles.admin_stories import StoriesFilter, StoryAdminMixin
from articles.models import PENDING_FIRST, Article, ArticleDailyViews, ArticleRevision, Comment, Label
from articles.pagecache import invalidate_comment_pages_on_commit, invalidate_posts_on_commit
from articles.retention import article_purge
from articles.revisions import revision_diff
from operations.admin_history import log_bulk_change
from operations.charts import Bar, bar_chart

# The one exception to "articles never imports feeds": the desk is where editors write HTML.
from untrusted.sanitize import sanitize_html

# Changes to these fields are an editor's version of the post, which ingest then keeps.
CONTENT_FIELDS = {"title", "author", "body_html", "excerpt", "image_url", "labels"}
VIEWS_CHART_DAYS = 30
# Changes to these are an editor's decision on the post, which re-applied source rules keep.
DECISION_FIELDS = {"status", "is_featured"}


def decided(request, outcome: str) -> dict:
    """The fields recording an editor's decision: what, who and when."""
    return {"decision": outcome[:20], "decided_by": request.user, "decided_at": timezone.now()}


def views_since(days: int, *, article_ref: str = "pk", field: str = "views") -> Coalesce:
    """Sum of daily `field` over the last `days` days for the outer article, as one subquery."""
    since = timezone.localdate() - timedelta(days=days - 1)
    rows = (
        ArticleDailyViews.objects.filter(article=OuterRef(article_ref), date__gte=since)
        .order_by()
        .values("article")
        .annotate(total=Sum(field))
        .values("total")
    )
    return Coalesce(Subquery(rows, output_field=IntegerField()), Value(0))


def comment_count() -> Coalesce:
    """Number of comments (any status) on the outer article, as one subquery."""
    rows = (
        Comment.objects.filter(article=OuterRef("pk")).order_by().values("article").annotate(n=Count("id")).values("n")
    )
    return Coalesce(Subquery(rows, output_field=IntegerField()), Value(0))


class OriginalRemovedFilter(admin.SimpleListFilter):
    """Posts whose original was found removed (404/410), or corrected upstream, after we published them."""

    title = "original"
    parameter_name = "original"
    FLAGS = {"removed": "original_removed_at__isnull", "corrected": "corrected_upstream_at__isnull"}

    def lookups(self, request, model_admin):
        return [("removed", "removed upstream"), ("corrected", "corrected upstream")]

    def queryset(self, request, queryset):
        flag = self.FLAGS.get(self.value())
        return queryset.filter(**{flag: False}) if flag else queryset


class RevisionInline(admin.TabularInline):
    """The post's text before each upstream edit, with what the edit changed."""

    model = ArticleRevision
    fields = ["replaced_at", "title", "changes"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name = "upstream edit"

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description="what the edit changed")
    def changes(self, revision):
        newer = revision.article.revisions.filter(replaced_at__gt=revision.replaced_at).order_by("replaced_at")
        following = newer.first() or revision.article
        lines = revision_diff((revision.title, revision.body_html), (following.title, following.body_html))
        return render_to_string("admin/articles/revision_diff.html", {"lines": lines})


@admin.register(Article)
class ArticleAdmin(StoryAdminMixin, admin.ModelAdmin):
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    # What fits in 1280 px; visitors and all-time views are on each post's page ("Readers").
    list_display = ["title", "source", "published_at", "status", "is_featured", "views_7_days", "comments"]
    # Every source, not only those with posts: finding those would read every post on each page of the list.
    list_filter = ["status", StoriesFilter, OriginalRemovedFilter, "is_featured", "source", "published_at"]
    search_fields = ["title", "body_html"]
    list_select_related = ["source"]
    actions = ["hide", "publish", "reject", "feature", "unfeature", "split_from_story", "merge_into"]
    readonly_fields = [
        "editor_note",
        "story",
        "source",
        "guid",
        "url",
        "slug",
        "fetched_at",
        "updated_at",
        "content_hash",
        "original_checked_at",
        "original_removed_at",
        "corrected_upstream_at",
        "total_views",
        "views_7_days",
        "visitors_7_days",
        "daily_views_chart",
    ]
    filter_horizontal = ["labels"]
    inlines = [RevisionInline]

    def has_add_permission(self, request):
        # Posts come from sources (they need a source and its guid); an editor edits, hides or features them.
        return False

    fieldsets = [
        (None, {"fields": ["editor_note", "title", "source", "author", "published_at", "status", "is_featured"]}),
        ("Story", {"fields": ["story"]}),
        ("Content", {"fields": ["excerpt", "body_html", "image_url", "labels"]}),
        ("Readers", {"fields": ["views_7_days", "visitors_7_days", "total_views", "daily_views_chart"]}),
        ("Original", {"fields": ["url", "original_removed_at", "original_checked_at", "corrected_upstream_at"]}),
        ("Upstream", {"classes": ["collapse"], "fields": ["guid", "slug", "fetched_at", "updated_at"]}),
    ]

    class Media:
        css = {"all": ["desk/desk.css"]}

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                views_7=views_since(7),
                visitors_7=views_since(7, field="unique_visitors"),
                comment_total=comment_count(),
            )
        )

    def save_model(self, request, obj, form, change):
        if change and CONTENT_FIELDS.intersection(form.changed_data):
            obj.edited_by_editor = True
        if change and DECISION_FIELDS.intersection(form.changed_data):
            for name, value in decided(request, _decision(obj, form.changed_data)).items():
                setattr(obj, name, value)
        if "body_html" in form.changed_data:
            # body_html is rendered with |safe, so an editor's HTML goes through the same single policy as upstream's.
            obj.body_html = sanitize_html(obj.body_html, base_url=obj.url)
        super().save_model(request, obj, form, change)

    def delete_model(self, request, obj):
        article_purge(ids=[obj.pk])

    def delete_queryset(self, request, queryset):
        # Like a purge: the (source, guid) stays behind, so a deleted post still in its feed is not stored again.
        with transaction.atomic():  # all or nothing, as the admin's own delete is
            article_purge(ids=list(queryset.values_list("pk", flat=True)))

    @admin.display(description="views (7 days)", ordering="views_7")
    def views_7_days(self, obj):
        return obj.views_7

    @admin.display(description="visitors (7 days)", ordering="visitors_7")
    def visitors_7_days(self, obj):
        return obj.visitors_7

    @admin.display(description="comments", ordering="comment_total")
    def comments(self, obj):
        return obj.comment_total

    @admin.display(description="editor's version")
    def editor_note(self, obj):
        if not obj.edited_by_editor:
            return "Not edited: ingest keeps this post in step with the source."
        if obj.upstream_changed_at:
            return format_html(
                "Edited by an editor, so ingest keeps this version. The source changed the post on {} "
                'since; <a href="{}">see the original</a>.',
                date_format(timezone.localtime(obj.upstream_changed_at), "SHORT_DATETIME_FORMAT"),
                obj.url,
            )
        return "Edited by an editor, so ingest keeps this version. The source has not changed it since."

    @admin.display(description=f"views, last {VIEWS_CHART_DAYS} days")
    def daily_views_chart(self, obj):
        return post_views_chart(obj)

    @admin.action(description="Hide selected posts from the site", permissions=["change"])
    def hide(self, request, queryset):
        self._set(request, queryset, "hidden", status=Article.Status.HIDDEN)

    @admin.action(description="Publish selected posts", permissions=["change"])
    def publish(self, request, queryset):
        self._set(request, queryset, "published", status=Article.Status.PUBLISHED)

    @admin.action(
        description="Reject selected posts (never shown, even when the feed repeats them)", permissions=["change"]
    )
    def reject(self, request, queryset):
        self._set(request, queryset, "rejected", status=Article.Status.REJECTED)

    @admin.action(description="Feature selected posts", permissions=["change"])
    def feature(self, request, queryset):
        self._set(request, queryset, "featured", is_featured=True)

    @admin.action(description="Stop featuring selected posts", permissions=["change"])
    def unfeature(self, request, queryset):
        self._set(request, queryset, "no longer featured", is_featured=False)

    def _set(self, request, queryset, outcome: str, **changes):
        log_bulk_change(request=request, objects=queryset, message=f"{outcome.capitalize()} (list action).")
        ids = list(queryset.values_list("pk", flat=True))
        count = queryset.update(**changes, **decided(request, outcome))
        # update() sends no post_save, so the reader's page cache is told here.
        invalidate_posts_on_commit(ids)
        self.message_user(request, f"{count} post{pluralize(count)} {outcome}.")


def _decision(article: Article, changed: list[str]) -> str:
    if "status" in changed:
        return article.get_status_display().lower()
    return "featured" if article.is_featured else "no longer featured"


def post_views_chart(article: Article):
    """Bar chart of one post's daily views (with unique visitors in each bar's tooltip)."""
    first_day = timezone.localdate() - timedelta(days=VIEWS_CHART_DAYS - 1)
    rows = {row.date: row for row in ArticleDailyViews.objects.filter(article=article, date__gte=first_day).order_by()}
    bars = []
    for offset in range(VIEWS_CHART_DAYS):
        day = first_day + timedelta(days=offset)
        row = rows.get(day)
        views, visitors = (row.views, row.unique_visitors) if row else (0, 0)
        bars.append(Bar(views, f"{day:%a %d %b}: {views} views, {visitors} visitors"))
    return bar_chart(bars, title="Views per day", first_label=f"{first_day:%d %b}", last_label="today", unit="views")


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    list_display = ["author_name", "short_body", "post", "created_at", "status"]
    list_filter = ["status"]
    search_fields = ["author_name", "body", "article__title"]
    list_select_related = ["article"]
    ordering = [PENDING_FIRST.asc(), "-created_at", "-id"]
    readonly_fields = ["ip_hash", "post", "created_at"]
    fields = ["post", "author_name", "email", "body", "created_at", "status", "ip_hash"]
    actions = ["approve", "reject", "mark_spam", "delete_selected"]

    def has_add_permission(self, request):
        # Comments come from readers, on the post page.
        return False

    @admin.display(description="comment")
    def short_body(self, obj):
        return obj.body if len(obj.body) <= 120 else obj.body[:119] + "…"

    @admin.display(description="post", ordering="article__title")
    def post(self, obj):
        return format_html('<a href="{}#comments">{}</a>', obj.article.get_absolute_url(), obj.article.title)

    @admin.action(description="Approve selected comments (show them on the site)", permissions=["change"])
    def approve(self, request, queryset):
        self._moderate(request, queryset, Comment.Status.APPROVED, "approved")

    @admin.action(description="Reject selected comments (not spam, but not shown)", permissions=["change"])
    def reject(self, request, queryset):
        self._moderate(request, queryset, Comment.Status.REJECTED, "rejected")

    @admin.action(description="Mark selected comments as spam", permissions=["change"])
    def mark_spam(self, request, queryset):
        self._moderate(request, queryset, Comment.Status.SPAM, "marked as spam")

    def _moderate(self, request, queryset, status: str, outcome: str) -> None:
        log_bulk_change(
            request=request,
            objects=queryset.select_related("article"),
            message=f"{outcome.capitalize()} (list action).",
        )
        posts = set(queryset.values_list("article", flat=True))
        count = queryset.update(status=status)
        invalidate_comment_pages_on_commit(posts)
        self.message_user(request, f"{count} comment{pluralize(count)} {outcome}.")


@admin.register(Label)
class LabelAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(ArticleDailyViews)
class ArticleDailyViewsAdmin(admin.ModelAdmin):
    list_display = ["article", "date", "views", "unique_visitors"]
    list_select_related = ["article"]
    date_hierarchy = "date"
    search_fields = ["article__title"]

    def has_add_permission(self, request):
        return False
