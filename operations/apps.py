from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class OperationsConfig(AppConfig):
    """What editors and operators watch: the desk's front page, health checks, metrics and throttles."""

    name = "operations"


class DeskAdminConfig(admin_apps.AdminConfig):
    """Installs DeskAdminSite as `admin.site`, so every app's admin.py registers on it unchanged."""

    default = False
    default_site = "operations.admin_site.DeskAdminSite"
