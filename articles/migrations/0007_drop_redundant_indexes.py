import django.db.models.deletion
from django.db import migrations, models

# The foreign key's own index goes without dropping and re-adding the constraint (which would re-check every row).
SOURCE_INDEX = "articles_article_source_id_9a8869ea"


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0006_purged_post"),
        ("feeds", "0002_source_content_digest"),
    ]

    operations = [
        migrations.AlterField(
            model_name="article",
            name="slug",
            field=models.SlugField(db_index=False, max_length=200),
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="article",
                    name="source",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="articles",
                        to="feeds.source",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    f"DROP INDEX IF EXISTS {SOURCE_INDEX}",
                    reverse_sql=f"CREATE INDEX {SOURCE_INDEX} ON articles_article (source_id)",
                ),
            ],
        ),
    ]
