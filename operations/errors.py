"""Error pages: a 403 inside the admin stays in the admin's frame, with a way back to the desk."""

from django.contrib import admin
from django.shortcuts import render
from django.urls import reverse
from django.views import defaults


def permission_denied(request, exception=None):
    """Staff refused a desk page (users, groups) see it in the desk; everyone else gets Django's own 403."""
    user = getattr(request, "user", None)
    if request.path.startswith(reverse("admin:index")) and user is not None and user.is_staff:
        context = {**admin.site.each_context(request), "title": "Not for your account"}
        return render(request, "admin/403.html", context, status=403)
    return defaults.permission_denied(request, exception)
