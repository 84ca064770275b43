"""Story bands recomputed from the stored signatures: 16 bands a post whose keys are the band's values themselves
(feeds/ingest/identity.signature_bands), instead of 32 hashed ones, so that stored posts keep matching new entries.

The key is written out here, not imported: a migration must do what it did when it shipped.
tests/articles/test_story_index.py checks it against signature_bands().
"""

import struct

from django.db import migrations

BANDS, VALUE_BITS = 16, 26
EMPTY_BIN = (1 << VALUE_BITS) - 1
CHUNK = 2000


def band_keys(signature: bytes) -> list[int]:
    """The band keys of a stored signature (8-byte big-endian bins; empty bytes for a text too short to compare)."""
    bins = struct.unpack(f">{len(signature) // 8}Q", bytes(signature))
    if any(value > EMPTY_BIN for value in bins):
        # Not a MinHash signature of ours (bench/stories.py's filler posts of an interrupted run): never a match.
        return []
    keys = []
    for number in range(BANDS if bins else 0):
        first, second = bins[2 * number : 2 * number + 2]
        if first != EMPTY_BIN or second != EMPTY_BIN:
            keys.append(number << 2 * VALUE_BITS | first << VALUE_BITS | second)
    return keys


def recompute_bands(apps, schema_editor):
    StoryBand = apps.get_model("articles", "StoryBand")
    StorySignature = apps.get_model("articles", "StorySignature")
    StoryBand.objects.all().delete()
    rows = StorySignature.objects.order_by("article_id").values_list("article_id", "published_at", "signature")
    chunk = []
    for article_id, published_at, signature in rows.iterator(chunk_size=CHUNK):
        chunk.extend(
            StoryBand(article_id=article_id, band=key, published_at=published_at) for key in band_keys(signature)
        )
        if len(chunk) >= CHUNK:
            StoryBand.objects.bulk_create(chunk)
            chunk = []
    StoryBand.objects.bulk_create(chunk)


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0017_story_lead_deleted_promotes_next_copy"),
    ]

    # Going back keeps the new keys: the previous release then finds no text candidate among the posts stored
    # before (it misses their copies; it merges nothing wrongly).
    operations = [migrations.RunPython(recompute_bands, migrations.RunPython.noop)]
