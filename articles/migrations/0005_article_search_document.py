"""Store each post's search document; on PostgreSQL move the GIN index from the expression to the stored column."""

import django.contrib.postgres.search
from django.contrib.postgres.indexes import GinIndex
from django.db import migrations, models

import articles.search_document

INDEX_NAME = "article_search_idx"


def expression_index() -> GinIndex:
    # The index of migration 0003, rebuilt when this migration is reversed.
    return GinIndex(articles.search_document.search_vector(), name=INDEX_NAME)


def column_index() -> GinIndex:
    return GinIndex(fields=["search_document"], name=INDEX_NAME)


def index_the_column(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        article = apps.get_model("articles", "Article")
        schema_editor.remove_index(article, expression_index())
        schema_editor.add_index(article, column_index())


def index_the_expression(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        article = apps.get_model("articles", "Article")
        schema_editor.remove_index(article, column_index())
        schema_editor.add_index(article, expression_index())


class Migration(migrations.Migration):
    dependencies = [("articles", "0004_editors_group")]

    operations = [
        migrations.AddField(
            model_name="article",
            name="search_document",
            field=models.GeneratedField(
                db_persist=True,
                expression=articles.search_document.SearchDocument(),
                output_field=django.contrib.postgres.search.SearchVectorField(),
            ),
        ),
        migrations.RunPython(index_the_column, index_the_expression, elidable=False),
    ]
