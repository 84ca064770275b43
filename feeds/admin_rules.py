"""The source page's rules flow: changed rules are previewed on the last posts, then applied on the worker or
cancelled; the latest run's progress shows on the source's page, where a running one can be stopped."""

from functools import partial

from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.views.decorators.http import require_POST

from feeds.models import RulesRun, Source
from feeds.rules_apply import EXTRACTION_FIELDS, PREVIEW_POSTS, rules_preview, rules_run_cancel, rules_run_start
from feeds.tasks import apply_source_rules
from operations.admin_history import log_bulk_change

# Changing one of these is previewed on the stored posts before it is saved.
PREVIEWED_FIELDS = ("keep_rules", "block_rules", *EXTRACTION_FIELDS)
APPLY = "_apply_rules"


def rules_changed(form) -> list[str]:
    """The previewed fields a valid source form really changes (a field the form left out keeps its value)."""
    return [name for name in PREVIEWED_FIELDS if form.cleaned_data.get(name) != form.initial.get(name)]


class RulesFlow:
    """Mixin for SourceAdmin (before ModelAdmin): preview, Apply, Cancel, progress."""

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if request.method == "POST" and object_id and APPLY not in request.POST:
            preview = self._preview(request, unquote(object_id))
            if preview is not None:
                return preview
        if object_id:
            latest = RulesRun.objects.filter(source_id=unquote(object_id)).first()
            extra_context = {**(extra_context or {}), "rules_run": latest}
        return super().changeform_view(request, object_id, form_url, extra_context)

    def _preview(self, request: HttpRequest, object_id: str):
        """The preview page when the posted form is valid and changes rules; None lets the admin go on as usual."""
        source = self.get_object(request, object_id)
        if source is None or not self.has_change_permission(request, source):
            return None
        if request.POST.get("feed_url", source.feed_url) != source.feed_url:
            return None  # a new address is checked over the network by the form: not twice, and not here
        form = self.get_form(request, source)(request.POST, request.FILES, instance=Source.objects.get(pk=source.pk))
        if not form.is_valid():
            return None
        changed = rules_changed(form)
        if not changed:
            return None
        change = rules_preview(source=source, new={name: form.cleaned_data[name] for name in changed})
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": source,
            "title": f"Preview the new rules of {source.name}",
            "change": change,
            "changed": changed,
            "preview_posts": PREVIEW_POSTS,
            "posted": [(key, value) for key in request.POST for value in request.POST.getlist(key)],
            "apply_name": APPLY,
        }
        return TemplateResponse(request, "admin/feeds/source/rules_preview.html", context)

    def rules_applied(self, request: HttpRequest, source: Source, changed: list[str]) -> None:
        """After saving previewed rules: queue their application to the stored posts on the worker."""
        run = rules_run_start(
            source=source, refresh=any(name in changed for name in EXTRACTION_FIELDS), user=request.user
        )
        transaction.on_commit(partial(apply_source_rules.delay, run.pk))
        self.message_user(
            request,
            f"The new rules are saved and being applied to {run.total} stored posts; progress shows on this page.",
            messages.SUCCESS,
        )

    def get_urls(self):
        cancel = path(
            "<path:object_id>/cancel-rules/",
            self.admin_site.admin_view(require_POST(self.cancel_rules)),
            name="feeds_source_cancel_rules",
        )
        return [cancel, *super().get_urls()]

    def cancel_rules(self, request: HttpRequest, object_id: str) -> HttpResponseRedirect:
        source = get_object_or_404(Source, pk=object_id)
        if not self.has_change_permission(request, source):
            raise PermissionDenied
        run = source.rules_runs.first()
        if run is not None and rules_run_cancel(run=run):
            log_bulk_change(request=request, objects=[source], message="Stopped applying its rules.")
            self.message_user(request, "Applying the rules stops after the current batch of posts.")
        else:
            self.message_user(request, "Nothing to stop: the rules had already been applied.", messages.WARNING)
        return HttpResponseRedirect(reverse("admin:feeds_source_change", args=[source.pk]))
