"""Editors and stories: the post admin shows a story's copies; split and merge hold against later polls."""

import pytest

from articles.models import Article
from tests.articles.stories_helpers import entry, store
from tests.factories import SourceFactory
from tests.operations.desk import action, editor_client

pytestmark = pytest.mark.django_db

POSTS = "/admin/articles/article/"
URL = "https://example.com/world/summit-ends"


def story_of_two():
    paper, wire = SourceFactory(name="The Paper"), SourceFactory(name="Wire Service")
    store(paper, entry("paper", URL))
    store(wire, entry("wire", URL + "/amp"))
    return Article.objects.get(guid="paper"), Article.objects.get(guid="wire")


def test_a_lead_s_admin_page_lists_its_copies_and_a_copy_s_names_its_lead(client):
    lead, copy = story_of_two()
    editor = editor_client(client)
    page = editor.get(f"{POSTS}{lead.pk}/change/").content.decode()
    assert "Leads a story with these copies" in page and f"{POSTS}{copy.pk}/change/" in page
    page = editor.get(f"{POSTS}{copy.pk}/change/").content.decode()
    assert "A copy in the story led by" in page and f"{POSTS}{lead.pk}/change/" in page


def test_the_stories_filter_lists_merged_stories_with_their_copy_count(client):
    lead, _ = story_of_two()
    store(SourceFactory(), entry("alone", "https://example.org/alone", title="Alone", body="<p>Another story.</p>"))
    page = editor_client(client).get(POSTS, {"story": "merged"}).content.decode()
    assert f"{POSTS}{lead.pk}/change/" in page and '<td class="field-story_copies_count">1</td>' in page
    assert f"{POSTS}{Article.objects.get(guid='alone').pk}/change/" not in page


def test_a_split_copy_is_listed_again_and_stays_split_when_polled_again(client):
    lead, copy = story_of_two()
    action(editor_client(client), POSTS, "split_from_story", [copy])
    copy.refresh_from_db()
    assert (copy.status, copy.story_lead, copy.story_decision) == ("published", None, "split")
    assert client.get(copy.get_absolute_url()).status_code == 200
    # The same entry changed upstream, and a third copy of the story arrives: the split holds.
    store(copy.source, entry("wire", URL + "/amp", title="Summit ends (update)"))
    store(SourceFactory(priority=9), entry("third", URL + "?amp=1"))
    copy.refresh_from_db()
    assert (copy.status, copy.story_lead) == ("published", None)
    third = Article.objects.get(guid="third")
    lead.refresh_from_db()
    assert third.story_lead is None and lead.story_lead == third  # the third joined the original story


def test_merge_into_asks_for_the_lead_then_merges_and_holds_against_later_polls(client):
    paper, other = SourceFactory(name="The Paper"), SourceFactory(name="Other Paper")
    store(paper, entry("a", "https://paper.example/a", title="Summit ends"))
    store(other, entry("b", "https://other.example/b", title="Summit over"))
    first, second = Article.objects.get(guid="a"), Article.objects.get(guid="b")
    editor = editor_client(client)
    form = editor.post(POSTS, {"action": "merge_into", "_selected_action": [first.pk, second.pk]})
    assert form.status_code == 200 and 'name="lead"' in form.content.decode()
    data = {"action": "merge_into", "_selected_action": [first.pk, second.pk], "lead": second.pk}
    assert "1 post merged" in editor.post(POSTS, data, follow=True).content.decode()
    first.refresh_from_db()
    assert (first.status, first.story_lead) == ("copy", second)
    # A higher-priority source's copy arrives, and the merged copy changes upstream: the editor's lead stays.
    store(SourceFactory(priority=9), entry("c", "https://paper.example/a?utm_source=x"))
    store(paper, entry("a", "https://paper.example/a", title="Summit ends (update)"))
    first.refresh_from_db(), second.refresh_from_db()
    assert (second.status, second.story_lead) == ("published", None)
    assert first.story_lead == second and Article.objects.get(guid="c").story_lead == second
