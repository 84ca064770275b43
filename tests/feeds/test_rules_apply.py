"""Rules reach stored posts: the admin's preview, Apply on the worker with progress, Cancel, and `applyrules`;
an editor's decision is never undone."""

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from articles.models import Article
from bench.news_pages import BOILERPLATE_MARKERS, news_page
from feeds import rules_apply
from feeds.ingest.extract import visible_text
from feeds.models import ContentMode, RulesRun
from feeds.rules_apply import rules_run_cancel, rules_run_execute, rules_run_start
from tests.factories import ArticleFactory, SourceFactory
from tests.feeds.test_republishing_rules import SOURCES, _change_data
from tests.operations.desk import action, editor_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def gazette():
    """A source with four stored posts: two about sport, one an editor published by hand, one hidden by rules."""
    source = SourceFactory(name="Gazette")
    posts = {
        "sport": ArticleFactory(source=source, title="Cup final tonight", body_html="<p>Sport.</p>"),
        "harbour": ArticleFactory(source=source, title="Harbour wall approved", body_html="<p>Council.</p>"),
        "decided": ArticleFactory(source=source, title="Sport awards", body_html="<p>Sport.</p>", decision="published"),
        "ruled_out": ArticleFactory(
            source=source, title="Old weather", body_html="<p>Rain.</p>", status=Article.Status.HIDDEN
        ),
    }
    return source, posts


def statuses(source) -> dict[str, str]:
    return dict(Article.objects.filter(source=source).values_list("title", "status"))


def test_saving_changed_rules_shows_a_preview_and_cancel_changes_nothing(client, gazette):
    source, _posts = gazette
    editor = editor_client(client)
    page = editor.post(f"{SOURCES}{source.pk}/change/", _change_data(source, block_rules="sport"))
    html = page.content.decode()
    assert page.status_code == 200 and "Preview the new rules of Gazette" in html
    assert "Would be hidden (1)" in html and "Cup final tonight" in html
    assert "Would be shown again (1)" in html and "Old weather" in html
    assert "1 stay as an editor decided" in html
    assert f'href="{SOURCES}{source.pk}/change/">Cancel</a>' in html
    source.refresh_from_db()
    assert source.block_rules == "" and not RulesRun.objects.exists()
    assert statuses(source)["Cup final tonight"] == "published"


def test_apply_saves_the_rules_runs_them_and_keeps_editor_decisions(
    client, gazette, django_capture_on_commit_callbacks
):
    source, _posts = gazette
    editor = editor_client(client)
    data = _change_data(source, block_rules="sport", _apply_rules="1")
    with django_capture_on_commit_callbacks(execute=True):
        assert editor.post(f"{SOURCES}{source.pk}/change/", data).status_code == 302
    assert statuses(source) == {
        "Cup final tonight": "hidden",
        "Harbour wall approved": "published",
        "Sport awards": "published",  # an editor published it: the rules leave it
        "Old weather": "published",  # hidden by rules before, taken now
    }
    run = RulesRun.objects.get()
    assert (run.state, run.done, run.hidden, run.shown, run.kept) == ("done", 4, 1, 1, 1)
    assert run.started_by.username == "editor"
    page = editor.get(f"{SOURCES}{source.pk}/change/").content.decode()
    assert "4 of 4 posts checked" in page and "1 hidden, 1 shown again" in page


def test_a_cancelled_run_stops_before_its_next_batch(gazette):
    source, _posts = gazette
    source.block_rules = "sport"
    source.save()
    run = rules_run_start(source=source, refresh=False)
    assert rules_run_cancel(run=run)
    rules_run_execute(run=run)
    run.refresh_from_db()
    assert run.state == "cancelled" and run.done == 0
    assert statuses(source)["Cup final tonight"] == "published"
    assert not rules_run_cancel(run=run)


def test_applyrules_dry_run_says_what_would_change_and_changes_nothing(gazette):
    source, _posts = gazette
    source.block_rules = "sport"
    source.save()
    out = StringIO()
    call_command("applyrules", "--source", str(source.pk), "--dry-run", stdout=out)
    assert "Gazette: 4 posts, would hide 1, show again 1, keep 1 as editors decided." in out.getvalue()
    assert "  hide #" in out.getvalue() and "Cup final tonight" in out.getvalue()
    assert statuses(source)["Cup final tonight"] == "published"


def test_applyrules_applies_with_a_progress_bar(gazette):
    source, _posts = gazette
    source.block_rules = "sport"
    source.save()
    out = StringIO()
    call_command("applyrules", stdout=out)
    assert "Gazette [##############################] 4/4" in out.getvalue()
    assert "Gazette: done, 4 posts checked, 1 hidden, 1 shown again, 0 re-extracted, 1 kept as editors decided." in (
        out.getvalue()
    )
    assert statuses(source)["Cup final tonight"] == "hidden"


def test_a_post_an_editor_hid_stays_hidden_when_rules_would_take_it(client, gazette):
    source, posts = gazette
    editor = editor_client(client)
    action(editor, "/admin/articles/article/", "hide", [posts["harbour"]])
    call_command("applyrules", stdout=StringIO())
    assert statuses(source)["Harbour wall approved"] == "hidden"
    decided = Article.objects.get(pk=posts["harbour"].pk)
    assert decided.decision == "hidden" and decided.decided_by == get_user_model().objects.get(username="editor")


def test_stopping_a_run_halts_it_after_the_current_batch(gazette, monkeypatch):
    source, _posts = gazette
    monkeypatch.setattr(rules_apply, "BATCH", 2)
    run = rules_run_start(source=source, refresh=False)
    rules_run_execute(run=run, on_progress=lambda current: rules_run_cancel(run=current))
    run.refresh_from_db()
    assert (run.state, run.done, run.total) == ("cancelled", 2, 4)


def apply_with_re_extraction(source) -> RulesRun:
    run = rules_run_start(source=source, refresh=True)
    return rules_run_execute(run=run)


def test_full_text_reaches_posts_that_left_the_feed_a_failing_page_keeps_its_text_and_edits_stay(feed_server):
    page = news_page(3)
    source = SourceFactory(name="Gazette", content_mode=ContentMode.FULL_TEXT)
    summary = "<p>A short summary from the feed.</p>"
    stored = ArticleFactory(source=source, url=feed_server.serve("/a.html", page.html, content_type="text/html"))
    gone = ArticleFactory(source=source, title="Gone story", url=feed_server.url("/missing.html"))
    edited = ArticleFactory(source=source, url=feed_server.url("/a.html"), edited_by_editor=True)
    Article.objects.filter(pk__in=[stored.pk, gone.pk, edited.pk]).update(body_html=summary)
    run = apply_with_re_extraction(source)
    bodies = dict(Article.objects.values_list("pk", "body_html"))
    text = visible_text(bodies[stored.pk])
    assert page.article_text.split("\n")[1][:60] in text and "short summary" not in text
    assert all(marker not in bodies[stored.pk] for marker in (*BOILERPLATE_MARKERS, "<script"))
    assert bodies[gone.pk] == summary and bodies[edited.pk] == summary
    assert (run.state, run.refreshed, run.failed, run.kept) == ("done", 1, 1, 1)
    assert f"#{gone.pk} Gone story: full text failed" in run.error and "404" in run.error


def test_new_remove_selectors_reach_stored_posts_in_feed_mode_but_not_an_edited_one(client):
    source = SourceFactory(name="Gazette", remove_selectors="ul.related\nul")
    body = '<p>The harbour wall was approved.</p><ul><li><a href="https://x.example/">Related: ferry</a></li></ul>'
    post = ArticleFactory(source=source, body_html=body, content_hash="h1")
    edited = ArticleFactory(source=source, body_html=body, edited_by_editor=True)
    run = apply_with_re_extraction(source)
    post.refresh_from_db(), edited.refresh_from_db()
    assert "harbour wall" in post.body_html and "Related" not in post.body_html
    assert "Related" not in client.get(post.get_absolute_url()).content.decode()
    assert edited.body_html == body and (run.refreshed, run.kept, run.failed) == (1, 1, 0)
    # Still in the feed, it gets the feed's own content (with the selectors) at the next poll.
    assert post.content_hash == ""


def test_applyrules_re_extract_rebuilds_excerpt_mode_bodies_with_a_progress_bar():
    source = SourceFactory(name="Gazette", content_mode=ContentMode.EXCERPT)
    post = ArticleFactory(source=source, body_html="<p>" + "Long text. " * 200 + "</p>", excerpt="Long text. Long.")
    out = StringIO()
    call_command("applyrules", "--source", str(source.pk), "--re-extract", stdout=out)
    post.refresh_from_db()
    assert "Continue reading at Gazette" in post.body_html and "Long text. Long." in post.body_html
    assert "1 re-extracted" in out.getvalue() and "1/1" in out.getvalue()
