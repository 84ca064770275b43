from django.contrib import admin

from feeds.models import FetchAttempt, Source


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    list_display = ["name", "feed_url", "is_active", "last_success_at", "consecutive_failures", "next_poll_at"]
    list_filter = ["is_active"]
    search_fields = ["name", "feed_url", "site_url"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = [
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
    ]


@admin.register(FetchAttempt)
class FetchAttemptAdmin(admin.ModelAdmin):
    list_display = ["source", "started_at", "outcome", "http_status", "duration_ms", "entries_new", "entries_updated"]
    list_filter = ["outcome", "source"]
    search_fields = ["source__name", "error"]
    list_select_related = ["source"]
    date_hierarchy = "started_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
