"""Roles: the Editors group, `createeditor`, and what an editor may and may not open."""

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command

from tests.factories import ArticleFactory, CommentFactory, SourceFactory
from tests.operations.desk import editor_client, ensure_editors_group

pytestmark = pytest.mark.django_db

EDITOR_PERMISSIONS = {
    f"{action}_{model}"
    for model in ("source", "article", "label", "comment")
    for action in ("add", "change", "delete", "view")
} | {"view_fetchattempt", "view_articledailyviews"}


def test_editors_group_holds_exactly_the_desk_permissions():
    ensure_editors_group()
    group = Group.objects.get(name="Editors")
    codenames = set(group.permissions.values_list("codename", flat=True))
    assert codenames == EDITOR_PERMISSIONS
    apps = set(group.permissions.values_list("content_type__app_label", flat=True))
    assert apps == {"feeds", "articles"}


def test_createeditor_makes_a_staff_editor_who_is_not_a_superuser():
    ensure_editors_group()
    out = StringIO()
    call_command("createeditor", "maria", "--email", "maria@example.com", "--no-input", stdout=out)
    user = get_user_model().objects.get(username="maria")
    assert user.is_staff
    assert not user.is_superuser
    assert not user.has_usable_password()
    assert list(user.groups.values_list("name", flat=True)) == ["Editors"]
    assert "Created editor maria." in out.getvalue()
    assert "manage.py changepassword maria" in out.getvalue()


def test_createeditor_turns_an_existing_user_into_an_editor():
    ensure_editors_group()
    get_user_model().objects.create_user("sam", password="a-long-password-1")
    out = StringIO()
    call_command("createeditor", "sam", "--no-input", stdout=out)
    user = get_user_model().objects.get(username="sam")
    assert user.is_staff
    assert user.check_password("a-long-password-1")
    assert user.groups.filter(name="Editors").exists()
    assert "already existed and is now an editor" in out.getvalue()


def test_createeditor_says_what_to_do_when_the_group_is_missing():
    Group.objects.filter(name="Editors").delete()
    with pytest.raises(CommandError, match="run `python manage.py migrate` first"):
        call_command("createeditor", "maria", "--no-input")


@pytest.mark.parametrize(
    "url",
    [
        "/admin/",
        "/admin/feeds/source/",
        "/admin/feeds/source/add/",
        "/admin/feeds/source/{source}/change/",
        "/admin/feeds/fetchattempt/",
        "/admin/articles/article/",
        "/admin/articles/article/{article}/change/",
        "/admin/articles/comment/",
        "/admin/articles/comment/{comment}/change/",
        "/admin/articles/label/add/",
    ],
)
def test_an_editor_can_open_every_desk_page(client, url):
    editor = editor_client(client)
    comment = CommentFactory(article=ArticleFactory(source=SourceFactory()))
    ids = {"source": comment.article.source_id, "article": comment.article_id, "comment": comment.pk}
    assert editor.get(url.format(**ids)).status_code == 200


@pytest.mark.parametrize(
    "url", ["/admin/auth/user/", "/admin/auth/user/add/", "/admin/auth/group/", "/admin/auth/group/add/"]
)
def test_an_editor_cannot_open_user_or_group_admin_and_is_told_so_inside_the_desk(client, url):
    editor = editor_client(client)
    response = editor.get(url)
    assert response.status_code == 403
    page = response.content.decode()
    assert "newsblog desk" in page and 'id="site-name"' in page  # the admin's own frame
    assert "user accounts, groups and permissions are for administrators" in page
    assert 'href="/admin/" class="button">Back to the desk</a>' in page


def test_a_403_outside_the_desk_is_not_dressed_as_the_desk(rf):
    from django.contrib.auth.models import AnonymousUser
    from django.core.exceptions import PermissionDenied

    from operations.errors import permission_denied

    request = rf.get("/admin/auth/user/")
    request.user = AnonymousUser()
    response = permission_denied(request, PermissionDenied())
    assert response.status_code == 403 and b"desk" not in response.content


def test_the_admin_index_offers_an_editor_no_user_admin(client):
    page = editor_client(client).get("/admin/").content.decode()
    assert "/admin/feeds/source/" in page
    assert "/admin/auth/user/" not in page


def test_createeditor_asks_for_a_password_on_a_terminal(monkeypatch):
    ensure_editors_group()
    answers = iter(["short", "short", "a-much-better-passphrase", "a-much-better-passphrase"])
    monkeypatch.setattr("getpass.getpass", lambda prompt: next(answers))
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    err = StringIO()
    call_command("createeditor", "lee", stdout=StringIO(), stderr=err)
    assert "This password is too short" in err.getvalue()
    assert get_user_model().objects.get(username="lee").check_password("a-much-better-passphrase")


@pytest.mark.parametrize("url", ["/admin/articles/article/add/", "/admin/articles/comment/add/"])
def test_posts_and_comments_are_not_added_by_hand_so_no_add_page_breaks(client, url):
    editor_client(client)
    assert client.get(url).status_code == 403
    index = client.get("/admin/").content.decode()
    assert url not in index
