"""Upgrades are expand/contract: the release before runs on the new schema between `migrate` and the restart.

docs/deploy.md ("Upgrading") says why and how. Two guards:
- every migration since the rule was adopted only expands: new columns are nullable or have a database default,
  and nothing is dropped or renamed unless CONTRACTS names it (a contract ships one release after the code
  stopped using what it drops);
- the main write and read paths of each release in PREVIOUS_RELEASES, run with that release's own models,
  work against today's fully migrated schema.
"""

import re
from datetime import timedelta

import pytest
from django.db import connection, migrations, models
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone

# Migrations up to these shipped before the rule; later ones are checked.
BASELINE = {"articles": "0001_initial", "feeds": "0001_initial"}
# (app, migration) -> why dropping or renaming there is safe: which release stopped reading it.
CONTRACTS: dict[tuple[str, str], str] = {}
# The migration leaves of earlier releases whose code must still work on the current schema; add each release's
# leaves when it lands, and remove a release once a contract drops something it reads.
PREVIOUS_RELEASES = [
    {"feeds": "0001_initial", "articles": "0006_purged_post"},
    {"feeds": "0002_source_content_digest", "articles": "0007_drop_redundant_indexes"},
]
DROPPING_OPERATIONS = (
    migrations.RemoveField,
    migrations.DeleteModel,
    migrations.RenameField,
    migrations.RenameModel,
)
DROPPING_SQL = re.compile(r"\bDROP\s+(COLUMN|TABLE)\b|\bRENAME\b", re.IGNORECASE)


def checked_migrations(loader: MigrationLoader):
    """Each migration of our apps after the baseline, in order."""
    for (app, name), migration in sorted(loader.disk_migrations.items()):
        if app in BASELINE and name > BASELINE[app]:
            yield app, name, migration


def flat(operations):
    """The operations, with those inside SeparateDatabaseAndState taken out."""
    for operation in operations:
        if isinstance(operation, migrations.SeparateDatabaseAndState):
            yield from flat([*operation.state_operations, *operation.database_operations])
        else:
            yield operation


def old_code_can_insert_without(field: models.Field) -> bool:
    return field.null or field.has_db_default() or field.generated or field.many_to_many


def test_new_columns_are_nullable_or_have_a_database_default():
    loader = MigrationLoader(None, ignore_no_migrations=True)
    final = loader.project_state()
    offenders = []
    for app, name, migration in checked_migrations(loader):
        for operation in flat(migration.operations):
            if isinstance(operation, migrations.AddField):
                # A later migration of the same release may add the default; what counts is the final state.
                field = final.models[app, operation.model_name_lower].fields[operation.name]
                if not old_code_can_insert_without(field):
                    offenders.append(f"{app}.{name}: {operation.model_name}.{operation.name}")
    assert offenders == [], "NOT NULL columns without db_default (old code cannot insert): " + ", ".join(offenders)


def test_nothing_is_dropped_or_renamed_outside_a_declared_contract():
    loader = MigrationLoader(None, ignore_no_migrations=True)
    offenders = []
    for app, name, migration in checked_migrations(loader):
        if (app, name) in CONTRACTS:
            continue
        for operation in flat(migration.operations):
            sql = " ".join(map(str, operation.sql)) if isinstance(operation, migrations.RunSQL) else ""
            if isinstance(operation, DROPPING_OPERATIONS) or DROPPING_SQL.search(sql):
                offenders.append(f"{app}.{name}: {operation.describe()}")
            if isinstance(operation, migrations.AlterField) and not old_code_can_insert_without(operation.field):
                before = loader.project_state((app, name), at_end=False).models[app, operation.model_name_lower]
                if old_code_can_insert_without(before.fields[operation.name]):
                    offenders.append(f"{app}.{name}: {operation.describe()} makes a column required")
    assert offenders == [], "contracting migrations outside CONTRACTS: " + ", ".join(offenders)


@pytest.mark.django_db
@pytest.mark.parametrize("release", PREVIOUS_RELEASES, ids=lambda release: "+".join(sorted(release.values())))
def test_the_previous_releases_main_paths_work_on_the_new_schema(release):
    """Add a source, store a post, take a comment, count views, then read every model, all with the old models."""
    old = MigrationLoader(connection).project_state(tuple(release.items())).apps
    source = old.get_model("feeds", "Source").objects.create(
        name="Old Code", slug="old-code", feed_url="https://old.example.com/feed.xml"
    )
    now = timezone.now()
    article = old.get_model("articles", "Article").objects.create(
        source=source,
        guid="urn:old:1",
        url="https://old.example.com/1",
        title="Written by the release before",
        slug="written-by-the-release-before",
        url_year=now.year,
        url_month=now.month,
        published_at=now - timedelta(hours=1),
    )
    old.get_model("articles", "Comment").objects.create(article=article, author_name="Reader", body="Still works.")
    old.get_model("articles", "ArticleDailyViews").objects.create(article=article, date=now.date(), views=3)
    old.get_model("feeds", "FetchAttempt").objects.create(source=source, outcome="ok")
    for model in old.get_models():
        list(model.objects.all()[:5])  # selects every column the old code knows
