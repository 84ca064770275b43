"""Story bands without a foreign key constraint (articles.models.StoryBand.article says why): dropping it is
metadata only, keeps every row, and the previous release never relied on it (its deletions cascade in Django, as
today's do). Going back adds it again, checking the stored rows.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('articles', '0018_story_bands_recomputed'),
    ]

    operations = [
        migrations.AlterField(
            model_name='storyband',
            name='article',
            field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='articles.article'),
        ),
    ]
