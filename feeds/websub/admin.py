"""The desk's view of WebSub: the push state under the source list's next poll, a section on the source's page, and the
subscriptions' own read-only list."""

from django.conf import settings
from django.contrib import admin
from django.db.models import OuterRef, Subquery
from django.template.loader import render_to_string
from django.utils.html import format_html

from feeds.websub.models import WebSubSubscription

State = WebSubSubscription.State
SHOWN_SUBSCRIPTIONS = 5
SHORT_STATE = {
    State.REQUESTING: "asking hub",
    State.PENDING: "awaiting verification",
    State.ACTIVE: "subscribed",
    State.DENIED: "denied",
    State.EXPIRED: "expired",
    State.FAILED: "not subscribed",
}


class WebSubSourceAdmin:
    """Mixed into SourceAdmin: the current subscription's state and bad-signature count, without extra queries."""

    def get_queryset(self, request):
        current = WebSubSubscription.objects.current().filter(source=OuterRef("pk")).order_by("-created_at", "-id")
        return (
            super()
            .get_queryset(request)
            .annotate(
                push_state=Subquery(current.values("state")[:1]),
                push_rejected=Subquery(current.values("pushes_rejected")[:1]),
            )
        )

    @admin.display(description="next poll", ordering="next_poll_at")
    def next_poll_and_push(self, obj):
        """The next poll, and under it the push state: a column of its own would not fit the list at 1280 px."""
        if not obj.push_state:
            return self.next_poll(obj)
        push = f"push: {SHORT_STATE.get(obj.push_state, obj.push_state)}"
        if obj.push_rejected:
            push += f", {obj.push_rejected} bad signature{'s' if obj.push_rejected != 1 else ''}"
        return format_html("{}<br><small>{}</small>", self.next_poll(obj), push)

    @admin.display(description="WebSub push")
    def websub(self, obj):
        subscriptions = list(obj.websub_subscriptions.all()[:SHOWN_SUBSCRIPTIONS]) if obj.pk else []
        context = {"subscriptions": subscriptions, "tasks_in_process": not settings.REDIS_URL}
        return render_to_string("admin/feeds/source/websub.html", context)


@admin.register(WebSubSubscription)
class WebSubSubscriptionAdmin(admin.ModelAdmin):
    list_display = [
        "topic_url",
        "source",
        "state",
        "hub_url",
        "expires_at",
        "last_push_at",
        "pushes",
        "pushes_rejected",
    ]
    list_filter = ["state"]
    list_select_related = ["source"]
    search_fields = ["topic_url", "hub_url", "source__name"]
    exclude = ["secret", "pending_secret"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
