"""Rules reach stored posts: the admin's preview, Apply on the worker with progress, Cancel, and `applyrules`;
an editor's decision is never undone."""

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from articles.models import Article
from feeds import rules_apply
from feeds.models import RulesRun
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
    assert "Gazette: done, 4 posts checked, 1 hidden, 1 shown again, 1 kept as editors decided." in out.getvalue()
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
