"""Helpers for the admin ("desk") tests: an editor made the way an operator makes one, and query counting."""

import importlib
from io import StringIO

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

EDITORS_MIGRATION = importlib.import_module("articles.migrations.0004_editors_group")


def ensure_editors_group() -> None:
    """The group the migration made; tests that flush the database (live server, transaction=True) drop it."""
    if not Group.objects.filter(name="Editors").exists():
        EDITORS_MIGRATION.create_editors_group(apps, None)


def editor_client(client, username: str = "editor"):
    """The test client logged in as an editor created by `createeditor` (staff, Editors group, no superuser)."""
    ensure_editors_group()
    call_command("createeditor", username, "--no-input", stdout=StringIO())
    client.force_login(get_user_model().objects.get(username=username))
    return client


def queries_for(client, url: str, **params) -> int:
    """How many SQL queries one GET costs once process-wide caches (content types) are warm; asserts a 200."""
    client.get(url, params)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params)
    assert response.status_code == 200, response.status_code
    return len(queries)


def action(client, url: str, name: str, objects) -> object:
    """Run an admin changelist action on these objects, following the redirect to the list."""
    data = {"action": name, "_selected_action": [obj.pk for obj in objects]}
    return client.post(url, data, follow=True)
