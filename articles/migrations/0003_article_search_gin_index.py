"""A GIN index for full-text search, on PostgreSQL only; SQLite searches without it."""

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector
from django.db import migrations

INDEX_NAME = "article_search_idx"


def search_index() -> GinIndex:
    # Was the same expression as search_vector() (now articles.search_document); 0005 moves the index to a column.
    vector = SearchVector("title", weight="A", config="english") + SearchVector("excerpt", weight="B", config="english")
    return GinIndex(vector, name=INDEX_NAME)


def add_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.add_index(apps.get_model("articles", "Article"), search_index())


def remove_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.remove_index(apps.get_model("articles", "Article"), search_index())


class Migration(migrations.Migration):
    dependencies = [("articles", "0002_view_flush_log_and_popular_index")]

    operations = [migrations.RunPython(add_index, remove_index, elidable=False)]
