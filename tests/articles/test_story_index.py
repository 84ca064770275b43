"""The text index after the 16-band change: stored posts keep matching, and a new entry costs one round trip."""

import importlib

import pytest
from django.apps import apps
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from articles.models import Article, StoryBand, StorySignature
from articles.stories import stories_attach
from articles.stories.nearcopies import pack_signature
from feeds.ingest.identity import BANDS, EMPTY_BIN, NEAR_COPIES, signature_bands, story_key, text_signature
from tests.articles.stories_helpers import SUMMIT, SUMMIT_BEGINS, entry, html_of, store
from tests.factories import SourceFactory

pytestmark = pytest.mark.django_db

bands_migration = importlib.import_module("articles.migrations.0018_story_bands_recomputed")


def test_band_keys_are_one_per_band_distinct_and_fit_a_bigint():
    signature = text_signature("Summit ends", html_of(SUMMIT))
    keys = signature_bands(signature)
    assert len(keys) == len(set(keys)) == BANDS
    assert all(0 <= key < 2**63 for key in keys)


def test_a_band_whose_bins_are_both_empty_has_no_key():
    signature = (EMPTY_BIN, EMPTY_BIN) + text_signature("Summit ends", html_of(SUMMIT))[2:]
    assert len(signature_bands(signature)) == BANDS - 1


def test_the_migration_gives_posts_indexed_before_the_bands_of_today_s_code():
    store(SourceFactory(), entry("paper", "https://paper.example/a/1", body=html_of(SUMMIT)))
    store(SourceFactory(), entry("other", "https://other.example/b/2", body=html_of(SUMMIT_BEGINS)))
    # As the release before left them: 32 hashed keys a post, none of which today's keys can meet.
    StoryBand.objects.all().delete()
    old_rows = [
        StoryBand(article_id=row.article_id, band=-(row.article_id * 100 + n), published_at=row.published_at)
        for row in StorySignature.objects.all()
        for n in range(32)
    ]
    StoryBand.objects.bulk_create(old_rows)

    bands_migration.recompute_bands(apps, None)

    for row in StorySignature.objects.all():
        stored = set(StoryBand.objects.filter(article_id=row.article_id).values_list("band", flat=True))
        assert stored == set(signature_bands(text_signature(row.article.title, row.article.body_html)))


def test_a_post_indexed_before_the_migration_is_found_by_a_copy_stored_after_it():
    store(SourceFactory(), entry("paper", "https://paper.example/a/1", body=html_of(SUMMIT)))
    StoryBand.objects.update(band=-1)  # keys the new code cannot meet, as the old hashed ones
    bands_migration.recompute_bands(apps, None)
    store(SourceFactory(), entry("wire", "https://wire.example/x?id=7", title="River pact", body=html_of(SUMMIT)))
    assert Article.objects.get(guid="wire").story_lead == Article.objects.get(guid="paper")


def test_a_signature_that_is_not_a_minhash_of_ours_gets_no_bands():
    assert bands_migration.band_keys(pack_signature((2**40,) * 64)) == []
    assert bands_migration.band_keys(b"") == []


def test_a_copy_found_by_its_address_is_indexed_by_its_text_too_and_a_third_copy_joins_through_it():
    lead_source = SourceFactory(name="Paper")
    store(lead_source, entry("paper", "https://paper.example/a/1", title="Summit ends", body="<p>Short brief.</p>"))
    # The publisher's AMP edition carries the full text; a wire copy of that text arrives later under its own URL.
    store(SourceFactory(), entry("amp", "https://paper.example/a/1/amp", body=html_of(SUMMIT)))
    store(SourceFactory(), entry("wire", "https://wire.example/x?id=9", title="River pact", body=html_of(SUMMIT)))
    lead = Article.objects.get(guid="paper")
    assert Article.objects.get(guid="amp").story_lead == lead
    assert Article.objects.get(guid="wire").story_lead == lead


@pytest.mark.skipif(connection.vendor != "postgresql", reason="one round trip is PostgreSQL's multi-statement query")
def test_a_new_entry_with_no_earlier_copy_costs_one_round_trip():
    source = SourceFactory()
    with transaction.atomic():
        post = Article.objects.create(
            source=source,
            guid="new",
            url="https://new.example/a",
            title="Summit ends",
            body_html=html_of(SUMMIT),
            slug="new",
            published_at=timezone.now(),
            story_key=story_key("https://new.example/a"),
        )
        with CaptureQueriesContext(connection) as queries:
            stories_attach(articles=[post], by_text=NEAR_COPIES)
    assert len(queries) == 1, [query["sql"][:80] for query in queries]
    assert StoryBand.objects.filter(article=post).count() == BANDS


def test_a_deleted_post_leaves_nothing_in_the_text_index():
    """Band rows have no foreign key constraint in the database: the deletion's cascade removes them."""
    kept_source, gone_source = SourceFactory(), SourceFactory()
    store(kept_source, entry("kept", "https://kept.example/a", body=html_of(SUMMIT)))
    store(gone_source, entry("alone", "https://gone.example/a", body=html_of(SUMMIT_BEGINS)))
    store(gone_source, entry("other", "https://gone.example/b", title="Another", body=html_of(SUMMIT[1:])))
    kept, alone = Article.objects.get(guid="kept"), Article.objects.get(guid="alone")
    assert StoryBand.objects.filter(article=alone).exists()
    alone.delete()
    assert not StoryBand.objects.filter(article_id=alone.pk).exists()
    gone_source.delete()  # its posts go with it
    assert set(StoryBand.objects.values_list("article_id", flat=True)) == {kept.pk}
    assert set(StorySignature.objects.values_list("article_id", flat=True)) == {kept.pk}
