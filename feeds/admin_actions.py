"""What an editor does to sources, from the list (actions) or from a source's own page (buttons).

Every action reports what happened and leaves a line in each source's History.
"""

from functools import partial

from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.defaultfilters import pluralize
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from feeds.models import FetchAttempt, Source
from feeds.services import feed_poll
from feeds.tasks import poll_source
from operations.admin_history import log_bulk_change

# The buttons on a source's page: URL name suffix -> action method.
OBJECT_ACTIONS = {"poll": "poll_now", "reset-backoff": "reset_backoff", "enable": "enable", "disable": "disable"}


def poll_outcome(source: Source, attempt: FetchAttempt) -> str:
    """One poll's result in a sentence."""
    if attempt.outcome == FetchAttempt.Outcome.ERROR:
        return f"{source.name}: the poll failed. {attempt.error}"
    if attempt.outcome == FetchAttempt.Outcome.NOT_MODIFIED:
        return f"{source.name}: polled, nothing new since the last poll."
    return f"{source.name}: polled, {attempt.entries_new} new, {attempt.entries_updated} updated."


class SourceActions:
    """Mixin for SourceAdmin: list actions, and the same actions as buttons on a source's change page."""

    actions = ["poll_now", "enable", "disable", "reset_backoff"]

    @admin.action(description="Poll selected sources now", permissions=["change"])
    def poll_now(self, request: HttpRequest, queryset) -> None:
        sources = list(queryset.active())
        log_bulk_change(request=request, objects=sources, message="Polled now.")
        if settings.CELERY_TASK_ALWAYS_EAGER:
            # In-process (no worker): the poll runs here, so its outcome can be reported at once.
            for source in sources:
                attempt = feed_poll(source=source)
                level = messages.ERROR if attempt.outcome == FetchAttempt.Outcome.ERROR else messages.SUCCESS
                self.message_user(request, poll_outcome(source, attempt), level)
        elif sources:
            for source in sources:
                transaction.on_commit(partial(poll_source.delay, source.pk))
            self.message_user(
                request,
                f"{len(sources)} source{pluralize(len(sources))} queued for polling on the worker; "
                "each result appears under Recent fetches on the source's page within a minute.",
            )
        skipped = queryset.filter(is_active=False).count()
        if skipped:
            them = "it" if skipped == 1 else "them"
            self.message_user(request, f"{skipped} disabled source{pluralize(skipped)} skipped: enable {them} first.")

    @admin.action(description="Enable selected sources", permissions=["change"])
    def enable(self, request: HttpRequest, queryset) -> None:
        log_bulk_change(request=request, objects=queryset, message="Enabled.")
        count = queryset.update(is_active=True, disabled_reason="", next_poll_at=timezone.now())
        self.message_user(request, f"{count} source{pluralize(count)} enabled; they will be polled within a minute.")

    @admin.action(description="Disable selected sources", permissions=["change"])
    def disable(self, request: HttpRequest, queryset) -> None:
        log_bulk_change(request=request, objects=queryset, message="Disabled.")
        count = queryset.update(is_active=False)
        self.message_user(
            request, f"{count} source{pluralize(count)} disabled; they keep their posts and are not polled."
        )

    @admin.action(description="Reset backoff (poll again within a minute)", permissions=["change"])
    def reset_backoff(self, request: HttpRequest, queryset) -> None:
        log_bulk_change(request=request, objects=queryset, message="Backoff reset.")
        count = queryset.update(consecutive_failures=0, next_poll_at=timezone.now())
        self.message_user(request, f"Backoff reset for {count} source{pluralize(count)}: polled again within a minute.")

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        buttons = [
            path(
                f"<path:object_id>/{slug}/",
                self.admin_site.admin_view(require_POST(partial(self.object_action, action=name))),
                name=f"{info[0]}_{info[1]}_{slug.replace('-', '_')}",
            )
            for slug, name in OBJECT_ACTIONS.items()
        ]
        return buttons + super().get_urls()

    def object_action(self, request: HttpRequest, object_id: str, *, action: str) -> HttpResponseRedirect:
        """A button on the source's page: the list action on that one source, then back to its page."""
        source = get_object_or_404(self.get_queryset(request), pk=object_id)
        if not self.has_change_permission(request, source):
            raise PermissionDenied
        getattr(self, action)(request, self.get_queryset(request).filter(pk=source.pk))
        return HttpResponseRedirect(reverse("admin:feeds_source_change", args=[source.pk]))
