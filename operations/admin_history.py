"""The admin's History for bulk actions: Django logs single edits itself, but not what a list action changed."""

from django.contrib.admin.models import CHANGE, LogEntry
from django.db.models import QuerySet
from django.http import HttpRequest


def log_bulk_change(*, request: HttpRequest, objects: QuerySet | list, message: str) -> None:
    """One History entry per object, saying who did what and when (one INSERT for them all)."""
    LogEntry.objects.log_actions(
        user_id=request.user.pk, queryset=list(objects), action_flag=CHANGE, change_message=message
    )
