"""manage.py mergestories: stories for posts stored before story identity, with a dry run and a progress bar."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from articles.models import Article
from tests.articles.stories_helpers import SUMMIT, SUMMIT_BEGINS, html_of
from tests.factories import ArticleFactory, SourceFactory

pytestmark = pytest.mark.django_db


def old_posts():
    """Posts as the release before stories stored them: no key, no signature, each a story of its own."""
    hour = timezone.now() - timedelta(hours=5)
    first = ArticleFactory(url="https://example.com/a/summit", body_html=html_of(SUMMIT), published_at=hour)
    amp = ArticleFactory(url="https://m.example.com/a/summit/amp", body_html="<p>Short.</p>", published_at=hour)
    wire = ArticleFactory(url="https://wire.example/7", body_html=html_of(SUMMIT[:4]), published_at=hour)
    other = ArticleFactory(url="https://wire.example/8", body_html=html_of(SUMMIT_BEGINS), published_at=hour)
    old = ArticleFactory(
        url="https://example.com/a/summit?utm_source=x", published_at=timezone.now() - timedelta(days=40)
    )
    return first, amp, wire, other, old


def run(*args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("mergestories", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_every_post_stored_before_stories_is_a_story_of_its_own():
    old_posts()
    assert Article.objects.filter(story_lead__isnull=False).count() == 0
    assert set(Article.objects.values_list("status", flat=True)) == {"published"}


def test_a_dry_run_says_what_would_merge_and_changes_nothing():
    old_posts()
    out, err = run("--since", "7", "--dry-run")
    assert "4 posts looked at; 2 would become copies" in out and "[" in err and "4/4" in err
    assert not Article.objects.filter(status="copy").exists() and not Article.objects.exclude(story_key="").exists()


def test_merging_joins_copies_by_url_and_by_text_within_the_days_given_and_a_second_run_does_nothing():
    first, amp, wire, other, old = old_posts()
    out, _ = run("--since", "7")
    assert "4 posts looked at; 2 became copies" in out
    for post in (first, amp, wire, other, old):
        post.refresh_from_db()
    assert amp.story_lead == first and wire.story_lead == first
    assert other.story_lead is None and old.story_lead is None and old.story_key == ""
    assert "0 posts looked at" in run("--since", "7")[0]


def test_since_must_be_a_day_or_more():
    with pytest.raises(CommandError, match="1 or more"):
        run("--since", "0")


def test_a_post_an_editor_split_is_never_merged_back():
    first, amp, *_ = old_posts()
    Article.objects.filter(pk=amp.pk).update(story_decision="split")
    run()
    amp.refresh_from_db()
    assert amp.story_lead is None and amp.status == "published"


def test_a_source_of_higher_priority_leads_merged_old_posts_too():
    first, amp, *_ = old_posts()
    amp.source.priority = 3
    amp.source.save()
    run("--since", "7")
    first.refresh_from_db(), amp.refresh_from_db()
    assert first.story_lead == amp and amp.story_lead is None


def test_posts_from_one_source_factory_are_unrelated():
    SourceFactory()  # a source without posts costs nothing
    assert "0 posts looked at" in run()[0]
