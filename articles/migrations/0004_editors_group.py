"""The "Editors" group: everything an editor does at the desk, nothing about users, groups or permissions."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

EDITORS = "Editors"
# (app label, model, actions) — full control of sources, posts, labels and comments; fetch
# history and daily view counts are read-only records kept by the system.
EDITOR_PERMISSIONS = [
    ("feeds", "source", ["add", "change", "delete", "view"]),
    ("feeds", "fetchattempt", ["view"]),
    ("articles", "article", ["add", "change", "delete", "view"]),
    ("articles", "label", ["add", "change", "delete", "view"]),
    ("articles", "comment", ["add", "change", "delete", "view"]),
    ("articles", "articledailyviews", ["view"]),
]


def create_editors_group(apps, schema_editor):
    # Permissions are normally created after all migrations ran; make them now so the group can hold them.
    for label in ("feeds", "articles"):
        app_config = apps.get_app_config(label)
        # Migration state's app configs have no models module, and create_permissions skips those.
        previous = getattr(app_config, "models_module", None)
        app_config.models_module = previous or True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = previous
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=EDITORS)
    codenames = [
        (app_label, f"{action}_{model}") for app_label, model, actions in EDITOR_PERMISSIONS for action in actions
    ]
    permissions = [
        Permission.objects.get(content_type__app_label=app_label, codename=codename)
        for app_label, codename in codenames
    ]
    group.permissions.set(permissions)


def remove_editors_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=EDITORS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0003_article_search_gin_index"),
        ("feeds", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_editors_group, remove_editors_group)]
