from datetime import timedelta

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.humanize.templatetags.humanize import naturaltime
from django.db import models
from django.db.models import Count, IntegerField, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html

from articles.models import Article, ArticleDailyViews
from feeds.admin_actions import SourceActions
from feeds.admin_forms import SourceAddForm, SourceChangeForm
from feeds.admin_rules import APPLY, RulesFlow, rules_changed
from feeds.models import ContentMode, FetchAttempt, Source
from feeds.politeness import host_of, host_pause
from feeds.republishing import source_looks_summary_only
from feeds.scheduler import scheduler_missing
from feeds.websub.admin import WebSubSourceAdmin
from operations.charts import Bar, bar_chart

RECENT_FETCHES = 20
RULE_FIELDS = {"keep_rules", "block_rules"}
CHARTED_FETCHES = 50
BADGE = '<span class="desk-badge desk-badge-{}">{}</span>'


def _per_source(queryset, source_field: str, aggregate) -> Coalesce:
    """An aggregate over rows belonging to the outer source, as one correlated subquery (no N+1)."""
    rows = queryset.order_by().values(source_field).annotate(total=aggregate).values("total")
    return Coalesce(Subquery(rows, output_field=IntegerField()), Value(0))


class FailingFilter(admin.SimpleListFilter):
    title = "health"
    parameter_name = "failing"

    def lookups(self, request, model_admin):
        return [("yes", "failing"), ("no", "not failing"), ("silent", "silent (no new entry for too long)")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.failing()
        if self.value() == "silent":
            return queryset.silent()
        if self.value() == "no":
            return queryset.filter(consecutive_failures=0)
        return queryset


class CategoryFilter(admin.SimpleListFilter):
    """The OPML folders in use, and "no folder" for sources outside every folder (an empty value has no name)."""

    title = "folder"
    parameter_name = "category"
    NONE = "-"

    def lookups(self, request, model_admin):
        folders = Source.objects.exclude(category="").order_by("category").values_list("category", flat=True)
        return [(self.NONE, "no folder"), *((folder, folder) for folder in folders.distinct())]

    def queryset(self, request, queryset):
        value = self.value()
        if value is None:
            return queryset
        return queryset.filter(category="" if value == self.NONE else value)


@admin.register(Source)
class SourceAdmin(WebSubSourceAdmin, RulesFlow, SourceActions, admin.ModelAdmin):
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    # What fits in 1280 px: the failure count is in the health badge ("failing ×3").
    list_display = ["name", "health", "last_success", "short_error", "next_poll_and_push", "posts", "views_7_days"]
    list_filter = ["is_active", FailingFilter, CategoryFilter]
    search_fields = ["name", "feed_url", "site_url"]
    prepopulated_fields = {"slug": ["name"]}

    readonly_fields = [
        "health",
        "previous_feed_url",
        "etag",
        "last_modified",
        "last_polled_at",
        "last_success_at",
        "next_poll_at",
        "consecutive_failures",
        "last_error",
        "created_at",
        "updated_at",
        "fetch_chart",
        "recent_fetches",
        "rules_error",
        "summary_hint",
        "websub",
        "host_status",
    ]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "name",
                    "slug",
                    "feed_url",
                    "site_url",
                    "category",
                    "is_active",
                    "poll_interval_minutes",
                    "priority",
                    "hide_when_original_removed",
                    "user_agent",
                ]
            },
        ),
        (
            "Health",
            {
                "fields": [
                    "health",
                    "host_status",
                    "disabled_reason",
                    "last_polled_at",
                    "last_success_at",
                    "next_poll_at",
                    "consecutive_failures",
                    "last_error",
                ]
            },
        ),
        (
            "Republishing rules",
            {
                "description": "Rules decide what new entries are taken; posts already stored keep their state.",
                "fields": [
                    "keep_rules",
                    "block_rules",
                    "rules_error",
                    "publish_mode",
                    "content_mode",
                    "summary_hint",
                    "remove_selectors",
                    "canonical_to_original",
                    "noindex",
                    "author_mode",
                ],
            },
        ),
        ("WebSub push", {"fields": ["websub"]}),
        ("Recent fetches", {"fields": ["fetch_chart", "recent_fetches"]}),
        (
            "Details",
            {
                "classes": ["collapse"],
                "fields": ["previous_feed_url", "etag", "last_modified", "created_at", "updated_at"],
            },
        ),
    ]
    add_fieldsets = [
        (None, {"fields": ["feed_url", "name", "slug", "site_url", "poll_interval_minutes", "is_active"]}),
        (None, {"fields": ["checked_feed_url"], "classes": ["hidden"]}),
    ]

    class Media:
        css = {"all": ["desk/desk.css"]}

    def get_queryset(self, request):
        since = timezone.localdate() - timedelta(days=6)
        posts = Article.objects.filter(source=OuterRef("pk"))
        views = ArticleDailyViews.objects.filter(article__source=OuterRef("pk"), date__gte=since)
        return (
            super()
            .get_queryset(request)
            .annotate(
                post_total=_per_source(posts, "source", Count("id")),
                views_7=_per_source(views, "article__source", Sum("views")),
            )
        )

    def changelist_view(self, request, extra_context=None):
        missing = scheduler_missing() if request.method == "GET" else ""
        if missing:
            messages.warning(request, missing)
        return super().changelist_view(request, extra_context)

    def save_model(self, request, obj, form, change):
        if change and {"site_url", *RULE_FIELDS}.intersection(form.changed_data):
            # The next poll parses the feed again: a cleared site URL is filled in, entries new rules take are taken.
            obj.content_digest = ""
        if change and "feed_url" in form.changed_data:
            _start_afresh(obj, previous_url=form.initial["feed_url"])
        super().save_model(request, obj, form, change)
        previewed = rules_changed(form) if change else []
        if previewed and APPLY in request.POST:
            self.rules_applied(request, obj, previewed)
        if not change and form.saved_unchecked:
            self.message_user(
                request,
                f"Saved without a check: the address did not finish answering within "
                f"{settings.FEEDS_ADD_CHECK_SECONDS:g} s. The first poll will tell whether it is a feed.",
                messages.WARNING,
            )

    def get_fieldsets(self, request, obj=None):
        return self.add_fieldsets if obj is None else super().get_fieldsets(request, obj)

    def get_form(self, request, obj=None, **kwargs):
        kwargs["form"] = SourceAddForm if obj is None else SourceChangeForm
        return super().get_form(request, obj, **kwargs)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        form = context["adminform"].form
        if add and getattr(form, "probe", None):
            # The check found a feed: show it instead of the "please correct the errors" banner.
            context.update(feed_check=form.probe, errors=None)
        return super().render_change_form(request, context, add, change, form_url, obj)

    @admin.display(description="content")
    def summary_hint(self, obj):
        if obj.content_mode == ContentMode.FEED and source_looks_summary_only(obj):
            return "Looks summary-only: try full text."
        return "–"

    @admin.display(description="host")
    def host_status(self, obj):
        host = host_of(obj.feed_url)
        pause = host_pause(host)
        if pause is None:
            return f"{host}: not backing off"
        return f"{pause} Every source on it waits until then."

    @admin.display(description="health")
    def health(self, obj):
        if not obj.is_active:
            state = "disabled"
        elif obj.consecutive_failures:
            return format_html(BADGE, "failing", f"failing ×{obj.consecutive_failures}")
        elif obj.silent_since:
            state = "silent"
        elif obj.last_success_at:
            state = "ok"
        elif obj.last_polled_at:
            state = "no success yet"  # e.g. failures were reset: not "new", which would hide its history
        else:
            state = "new"
        return format_html(BADGE, state.replace(" ", "-"), state)

    @admin.display(description="last success", ordering="last_success_at")
    def last_success(self, obj):
        return naturaltime(obj.last_success_at) if obj.last_success_at else "never"

    @admin.display(description="next poll", ordering="next_poll_at")
    def next_poll(self, obj):
        if not obj.is_active:
            return "–"
        if obj.next_poll_at is None or obj.next_poll_at <= timezone.now():
            return "due now"
        return naturaltime(obj.next_poll_at)

    @admin.display(description="last error")
    def short_error(self, obj):
        if not obj.consecutive_failures:
            return ""  # an error from before the last success or reset is history, on the source's page
        return obj.last_error if len(obj.last_error) <= 80 else obj.last_error[:79] + "…"

    @admin.display(description="posts", ordering="post_total")
    def posts(self, obj):
        return obj.post_total

    @admin.display(description="views (7 days)", ordering="views_7")
    def views_7_days(self, obj):
        return obj.views_7

    @admin.display(description=f"last {CHARTED_FETCHES} fetches (bar height: duration)")
    def fetch_chart(self, obj):
        attempts = list(obj.fetch_attempts.order_by("-started_at")[:CHARTED_FETCHES])[::-1]
        bars = [
            Bar(a.duration_ms, f"{_when(a)}: {a.get_outcome_display()}, {a.duration_ms} ms", a.outcome)
            for a in attempts
        ]
        first = _when(attempts[0]) if attempts else ""
        chart = bar_chart(
            bars, title="Recent fetches: duration and outcome", first_label=first, last_label="latest", unit="ms"
        )
        return render_to_string("admin/feeds/source/fetch_chart.html", {"chart": chart})

    @admin.display(description=f"last {RECENT_FETCHES} fetches")
    def recent_fetches(self, obj):
        attempts = obj.fetch_attempts.order_by("-started_at")[:RECENT_FETCHES]
        return render_to_string("admin/feeds/source/recent_fetches.html", {"attempts": attempts})


def _start_afresh(source: Source, *, previous_url: str) -> None:
    """A new feed address: the old address's failures, backoff and caching headers no longer apply."""
    source.previous_feed_url = previous_url
    source.consecutive_failures = 0
    source.last_error = ""
    source.next_poll_at = timezone.now()
    source.etag = source.last_modified = source.content_digest = ""


def _when(attempt: FetchAttempt) -> str:
    return date_format(timezone.localtime(attempt.started_at), "SHORT_DATETIME_FORMAT")


@admin.register(FetchAttempt)
class FetchAttemptAdmin(admin.ModelAdmin):
    list_display = [
        "source",
        "started_at",
        "kind",
        "outcome",
        "http_status",
        "duration_ms",
        "entries_new",
        "entries_updated",
        "entries_skipped",
    ]
    list_filter = ["kind", "outcome", "source"]
    search_fields = ["source__name", "error"]
    list_select_related = ["source"]
    date_hierarchy = "started_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
