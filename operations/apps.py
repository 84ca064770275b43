from django.contrib.admin.apps import AdminConfig


class DeskAdminConfig(AdminConfig):
    """Installs DeskAdminSite as `admin.site`, so every app's admin.py registers on it unchanged."""

    default_site = "newsblog.admin_site.DeskAdminSite"
