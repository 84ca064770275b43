"""The desk's record of list actions (History), and its words: posts, not articles; readable names and units."""

import re

import pytest
from django.contrib.admin.models import LogEntry
from django.utils import timezone

from articles.models import Comment
from tests.factories import ArticleDailyViewsFactory, ArticleFactory, CommentFactory, LabelFactory, SourceFactory
from tests.operations.desk import action, editor_client

pytestmark = pytest.mark.django_db
POSTS = "/admin/articles/article/"
COMMENTS = "/admin/articles/comment/"


def _history(editor, url: str) -> str:
    page = editor.get(url).content.decode()
    return page[page.index('id="change-history"') :]


def test_post_list_actions_show_on_each_posts_history_with_who_and_when(client):
    posts = ArticleFactory.create_batch(2)
    editor = editor_client(client)
    action(editor, POSTS, "hide", posts)
    action(editor, POSTS, "feature", posts[:1])
    history = _history(editor, f"{POSTS}{posts[0].pk}/history/")
    assert "Hidden (list action)." in history and "Featured (list action)." in history
    assert "editor" in history
    assert timezone.localtime().strftime("%B") in history or timezone.localtime().strftime("%b") in history
    assert "Featured" not in _history(editor, f"{POSTS}{posts[1].pk}/history/")


def test_comment_moderation_actions_show_on_each_comments_history(client, django_capture_on_commit_callbacks):
    comments = CommentFactory.create_batch(3, status=Comment.Status.PENDING)
    editor = editor_client(client)
    with django_capture_on_commit_callbacks(execute=True):
        action(editor, COMMENTS, "approve", comments[:1])
        action(editor, COMMENTS, "reject", comments[1:2])
        action(editor, COMMENTS, "mark_spam", comments[2:])
    messages = dict(LogEntry.objects.values_list("object_id", "change_message"))
    assert messages == {
        str(comments[0].pk): "Approved (list action).",
        str(comments[1].pk): "Rejected (list action).",
        str(comments[2].pk): "Marked as spam (list action).",
    }
    assert "Rejected (list action)." in _history(editor, f"{COMMENTS}{comments[1].pk}/history/")


def test_reject_keeps_a_comment_off_the_site_without_calling_it_spam(client, django_capture_on_commit_callbacks):
    comment = CommentFactory(body="Off topic rant", status=Comment.Status.PENDING)
    editor = editor_client(client)
    with django_capture_on_commit_callbacks(execute=True):
        page = action(editor, COMMENTS, "reject", [comment]).content.decode()
    assert "1 comment rejected." in page
    comment.refresh_from_db()
    assert comment.status == Comment.Status.REJECTED
    client.logout()
    assert "Off topic rant" not in client.get(comment.article.get_absolute_url()).content.decode()


def test_the_desk_says_posts_not_articles(client):
    editor = editor_client(client)
    index = editor.get("/admin/").content.decode()
    menu = index[index.index('id="content-main"') :]
    assert "Posts</a>" in menu and "Daily post views" in menu
    assert not re.search(r">\s*Articles?\b", menu) and "Article daily views" not in menu
    post = ArticleFactory()
    assert "Select post to change" in editor.get(POSTS).content.decode()
    assert "Change post" in editor.get(f"{POSTS}{post.pk}/change/").content.decode()


def test_deleting_a_post_names_its_labels_readably(admin_client):
    post = ArticleFactory(title="Ferry news")
    post.labels.add(LabelFactory(name="Ferries"))
    page = admin_client.get(f"{POSTS}{post.pk}/delete/").content.decode()
    assert "Article_labels object" not in page
    assert "Label on a post: “Ferries” on “Ferry news”" in page


def test_a_comments_page_shows_the_address_hash_read_only_and_its_time_not_editable(client):
    comment = CommentFactory()
    page = editor_client(client).get(f"{COMMENTS}{comment.pk}/change/").content.decode()
    assert "Address hash (not the address)" in page and "Ip hash" not in page
    assert 'name="created_at' not in page


def test_the_dashboards_posts_today_link_lists_todays_posts_only(client):
    editor = editor_client(client)
    ArticleFactory(title="Fetched today")
    ArticleFactory(title="Fetched last week", fetched_at=timezone.now() - timezone.timedelta(days=7))
    index = editor.get("/admin/").content.decode()
    link = re.search(r'href="([^"]+)">posts? ingested today', index).group(1).replace("&amp;", "&")
    listing = editor.get(link).content.decode()
    assert "Fetched today" in listing and "Fetched last week" not in listing


def test_charts_say_what_their_maximum_counts(client):
    editor = editor_client(client)
    post = ArticleFactory()
    ArticleDailyViewsFactory(article=post, views=31)
    assert "max 31 views" in editor.get("/admin/").content.decode()
    assert "max 31 views" in editor.get(f"{POSTS}{post.pk}/change/").content.decode()


def test_a_reset_source_is_not_called_new_and_an_old_error_is_not_shown_beside_it(client):
    editor = editor_client(client)
    SourceFactory(name="Was Failing", last_polled_at=timezone.now(), last_error="HTTP 500 last night")
    SourceFactory(name="Brand New")
    page = editor.get("/admin/feeds/source/").content.decode()
    row = page[page.index("Was Failing") : page.index("</tr>", page.index("Was Failing"))]
    assert "no success yet" in row and ">new<" not in row and "HTTP 500 last night" not in row
    row = page[page.index("Brand New") : page.index("</tr>", page.index("Brand New"))]
    assert ">new<" in row
