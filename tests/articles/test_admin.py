"""The posts and comments desk, used through the test client as an editor."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django.utils.formats import date_format

from articles.models import Article, Comment
from tests.factories import ArticleDailyViewsFactory, ArticleFactory, CommentFactory
from tests.operations.desk import action, editor_client, queries_for

pytestmark = pytest.mark.django_db
POSTS = "/admin/articles/article/"
COMMENTS = "/admin/articles/comment/"


def test_post_list_shows_views_over_7_days_and_comments_and_the_post_page_visitors_and_total_views(client):
    editor = editor_client(client)
    post = ArticleFactory(title="Well read", total_views=500)
    today = timezone.localdate()
    ArticleDailyViewsFactory(article=post, date=today, views=30, unique_visitors=20)
    ArticleDailyViewsFactory(article=post, date=today - timedelta(days=6), views=12, unique_visitors=9)
    ArticleDailyViewsFactory(article=post, date=today - timedelta(days=7), views=999, unique_visitors=999)
    CommentFactory.create_batch(2, article=post)
    CommentFactory(article=post, status=Comment.Status.PENDING)
    row = _row(editor.get(POSTS).content.decode(), "Well read")
    assert '<td class="field-views_7_days">42</td>' in row
    assert '<td class="field-comments">3</td>' in row
    readers = editor.get(f"{POSTS}{post.pk}/change/").content.decode()
    readers = readers[readers.index(">Readers</h2>") :]
    assert '<div class="readonly">42</div>' in readers and '<div class="readonly">29</div>' in readers
    assert '<div class="readonly">500</div>' in readers


@pytest.mark.parametrize("url", [POSTS, COMMENTS])
def test_lists_cost_the_same_queries_for_3_or_30_rows(client, url):
    editor = editor_client(client)
    for count in (3, 30):
        for post in ArticleFactory.create_batch(count):
            ArticleDailyViewsFactory(article=post)
            CommentFactory(article=post, status=Comment.Status.PENDING)
        if count == 3:
            few = queries_for(editor, url)
    assert queries_for(editor, url) == few
    assert few <= 10


def test_search_finds_words_in_the_body(client):
    editor = editor_client(client)
    ArticleFactory(title="Plain title", body_html="<p>About the Diaoyutai guesthouse.</p>")
    ArticleFactory(title="Other story")
    page = editor.get(POSTS, {"q": "Diaoyutai"}).content.decode()
    assert "Plain title" in page
    assert "Other story" not in page


def test_hide_removes_a_post_from_the_site_and_publish_brings_it_back(client, django_capture_on_commit_callbacks):
    post = ArticleFactory(title="Retracted story")
    assert client.get(post.get_absolute_url()).status_code == 200
    editor = editor_client(client)
    with django_capture_on_commit_callbacks(execute=True):
        page = action(editor, POSTS, "hide", [post]).content.decode()
    assert "1 post hidden." in page
    client.logout()
    assert client.get(post.get_absolute_url()).status_code == 404
    # The home page's list; the popular-posts widget is a fragment cached for up to 60 s (templatetags/popular.py).
    assert post not in client.get("/").context["posts"]
    with django_capture_on_commit_callbacks(execute=True):
        action(editor_client(client, "editor2"), POSTS, "publish", [post])
    client.logout()
    assert client.get(post.get_absolute_url()).status_code == 200


def test_feature_and_unfeature(client):
    editor = editor_client(client)
    posts = ArticleFactory.create_batch(2)
    assert "2 posts featured." in action(editor, POSTS, "feature", posts).content.decode()
    assert Article.objects.filter(is_featured=True).count() == 2
    action(editor, POSTS, "unfeature", posts[:1])
    assert list(Article.objects.filter(is_featured=True)) == [posts[1]]


def test_editing_a_post_marks_it_as_the_editors_version(client):
    editor = editor_client(client)
    post = ArticleFactory(title="Typo in titel")
    page = editor.get(f"{POSTS}{post.pk}/change/").content.decode()
    assert "Not edited" in page
    form = _change_form_data(post, title="Typo in title")
    response = editor.post(f"{POSTS}{post.pk}/change/", form)
    assert response.status_code == 302, response.content.decode()
    post.refresh_from_db()
    assert post.title == "Typo in title"
    assert post.edited_by_editor


def test_readers_find_a_post_by_the_words_an_editor_put_in_it(client):
    editor = editor_client(client)
    post = ArticleFactory(title="Typo in titel", excerpt="Nothing yet.")
    editor.post(f"{POSTS}{post.pk}/change/", _change_form_data(post, excerpt="The zebra crossing is repainted."))
    editor.logout()
    assert "Typo in titel" in client.get("/search", {"q": "zebra"}).content.decode()


def test_featuring_alone_does_not_make_it_the_editors_version(client):
    editor = editor_client(client)
    post = ArticleFactory()
    editor.post(f"{POSTS}{post.pk}/change/", _change_form_data(post, is_featured="on"))
    post.refresh_from_db()
    assert post.is_featured
    assert not post.edited_by_editor


def test_change_page_says_when_upstream_changed_an_edited_post(client):
    editor = editor_client(client)
    changed = timezone.now() - timedelta(hours=3)
    post = ArticleFactory(edited_by_editor=True, upstream_changed_at=changed)
    page = editor.get(f"{POSTS}{post.pk}/change/").content.decode()
    assert "Edited by an editor, so ingest keeps this version" in page
    assert f"The source changed the post on {date_format(timezone.localtime(changed), 'SHORT_DATETIME_FORMAT')}" in page
    assert f'href="{post.url}"' in page


def test_change_page_charts_daily_views(client):
    editor = editor_client(client)
    post = ArticleFactory()
    ArticleDailyViewsFactory(article=post, views=17, unique_visitors=11)
    page = editor.get(f"{POSTS}{post.pk}/change/").content.decode()
    assert '<svg class="desk-chart"' in page
    assert f"{timezone.localdate():%a %d %b}: 17 views, 11 visitors" in page
    assert "<script" not in page.split('<svg class="desk-chart"')[1].split("</svg>")[0]


def test_comment_queue_lists_pending_first_with_a_link_to_the_post(client):
    editor = editor_client(client)
    post = ArticleFactory(title="Commented story")
    CommentFactory(article=post, author_name="Approved Ann", status=Comment.Status.APPROVED)
    CommentFactory(article=post, author_name="Pending Pat", status=Comment.Status.PENDING)
    CommentFactory(article=post, author_name="Spammy Sam", status=Comment.Status.SPAM)
    page = editor.get(COMMENTS).content.decode()
    assert page.index("Pending Pat") < page.index("Approved Ann")
    assert page.index("Pending Pat") < page.index("Spammy Sam")
    assert f'href="{post.get_absolute_url()}#comments"' in page


def test_approve_shows_a_comment_on_the_post(client, django_capture_on_commit_callbacks):
    comment = CommentFactory(body="Held for moderation", status=Comment.Status.PENDING)
    post_url = comment.article.get_absolute_url()
    assert "Held for moderation" not in client.get(post_url).content.decode()
    editor = editor_client(client)
    with django_capture_on_commit_callbacks(execute=True):
        page = action(editor, COMMENTS, "approve", [comment]).content.decode()
    assert "1 comment approved." in page
    client.logout()
    assert "Held for moderation" in client.get(post_url).content.decode()


def test_spam_and_delete(client):
    editor = editor_client(client)
    spam, doomed = CommentFactory.create_batch(2, status=Comment.Status.PENDING)
    action(editor, COMMENTS, "mark_spam", [spam])
    spam.refresh_from_db()
    assert spam.status == Comment.Status.SPAM
    confirm = action(editor, COMMENTS, "delete_selected", [doomed])
    assert "Are you sure" in confirm.content.decode()
    editor.post(COMMENTS, {"action": "delete_selected", "_selected_action": [doomed.pk], "post": "yes"})
    assert not Comment.objects.filter(pk=doomed.pk).exists()


def _row(page: str, title: str) -> str:
    start = page.index(title)
    return page[page.rindex("<tr", 0, start) : page.index("</tr>", start)]


def _change_form_data(post: Article, **changes) -> dict:
    data = {
        "title": post.title,
        "author": post.author,
        "published_at_0": timezone.localtime(post.published_at).strftime("%Y-%m-%d"),
        "published_at_1": timezone.localtime(post.published_at).strftime("%H:%M:%S"),
        "status": post.status,
        "excerpt": post.excerpt,
        "body_html": post.body_html,
        "image_url": post.image_url,
    }
    if post.is_featured:
        data["is_featured"] = "on"
    return {**data, **changes}


def test_an_editors_html_is_sanitized_like_upstream_html(client):
    editor = editor_client(client)
    post = ArticleFactory()
    body = '<p onclick="steal()">Fixed <b>text</b></p><script>alert(1)</script>'
    editor.post(f"{POSTS}{post.pk}/change/", _change_form_data(post, body_html=body))
    post.refresh_from_db()
    assert "Fixed <b>text</b>" in post.body_html
    assert "<script" not in post.body_html
    assert "onclick" not in post.body_html
    client.logout()
    assert "alert(1)</script>" not in client.get(post.get_absolute_url()).content.decode()


def test_post_change_page_costs_the_same_queries_for_1_or_30_days_of_views(client):
    editor = editor_client(client)
    post = ArticleFactory()
    ArticleDailyViewsFactory(article=post)
    few = queries_for(editor, f"{POSTS}{post.pk}/change/")
    for day in range(1, 30):
        ArticleDailyViewsFactory(article=post, date=timezone.localdate() - timedelta(days=day))
        CommentFactory(article=post)
    assert queries_for(editor, f"{POSTS}{post.pk}/change/") == few


def test_delete_confirmations_say_that_deleted_posts_stay_deleted_and_offer_hide(client):
    editor = editor_client(client)
    post = ArticleFactory()
    single = editor.get(f"{POSTS}{post.pk}/delete/").content.decode()
    bulk = action(editor, POSTS, "delete_selected", [post]).content.decode()
    for page in (single, bulk):
        assert "Deleted posts stay deleted" in page and "Are you sure" in page


def test_a_post_with_a_site_relative_sample_image_can_be_edited_and_a_bad_image_address_is_refused(client):
    editor = editor_client(client)
    post = ArticleFactory(image_url="/static/feeds/samples/images/ferry.svg")
    response = editor.post(f"{POSTS}{post.pk}/change/", _change_form_data(post, title="Ferry, edited"))
    assert response.status_code == 302, response.content.decode()
    post.refresh_from_db()
    assert (post.title, post.image_url) == ("Ferry, edited", "/static/feeds/samples/images/ferry.svg")
    response = editor.post(f"{POSTS}{post.pk}/change/", _change_form_data(post, image_url="javascript:alert(1)"))
    assert response.status_code == 200 and "Enter a valid URL" in response.content.decode()
