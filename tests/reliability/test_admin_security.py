"""The admin under attack: log-in required everywhere, guessing throttled, editors kept in their lane."""

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group, Permission, User
from django.test import Client
from django.urls import reverse

from tests.concurrency import run_together
from tests.operations.desk import editor_client

pytestmark = pytest.mark.django_db


def admin_urls() -> list[str]:
    """Every model's changelist and add page, plus the index."""
    urls = [reverse("admin:index")]
    for model in admin.site._registry:
        info = model._meta.app_label, model._meta.model_name
        urls.append(reverse("admin:{}_{}_changelist".format(*info)))
        urls.append(reverse("admin:{}_{}_add".format(*info)))
    return urls


@pytest.mark.parametrize("url", admin_urls())
def test_every_admin_url_needs_a_login(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def attempt(client, password: str, address: str = "203.0.113.7"):
    return client.post(
        reverse("admin:login"), {"username": "editor", "password": password}, REMOTE_ADDR=address, follow=False
    )


def test_repeated_failed_logins_are_throttled_even_with_the_right_password(client):
    User.objects.create_user("editor", password="correct horse battery", is_staff=True)
    for _ in range(5):
        assert "Please enter the correct username and password" in attempt(client, "guess").content.decode()
    refused = attempt(client, "correct horse battery")
    assert refused.status_code == 200
    assert "Too many failed log-in attempts" in refused.content.decode()
    assert "_auth_user_id" not in client.session


def test_throttling_one_address_leaves_other_addresses_alone(client):
    User.objects.create_user("editor", password="correct horse battery", is_staff=True)
    for _ in range(6):
        attempt(client, "guess")
    response = attempt(client, "correct horse battery", address="198.51.100.9")
    assert response.status_code == 302
    assert client.session["_auth_user_id"]


def test_an_editor_cannot_grant_themselves_permissions(client):
    editor_client(client)
    editor = User.objects.get(username="editor")
    own_page = reverse("admin:auth_user_change", args=[editor.pk])
    promote = {"username": "editor", "is_staff": "on", "is_superuser": "on", "is_active": "on"}
    assert client.get(own_page).status_code == 403
    assert client.post(own_page, promote).status_code == 403
    group = Group.objects.get(name="Editors")
    every_permission = [permission.pk for permission in Permission.objects.all()]
    group_page = reverse("admin:auth_group_change", args=[group.pk])
    assert client.post(group_page, {"name": "Editors", "permissions": every_permission}).status_code == 403
    editor.refresh_from_db()
    assert not editor.is_superuser
    assert not editor.has_perm("auth.change_user")
    assert group.permissions.count() < len(every_permission) / 2


def test_behind_the_proxy_throttling_goes_by_the_readers_address_not_the_proxys(client, settings):
    settings.BEHIND_PROXY = True
    User.objects.create_user("editor", password="correct horse battery", is_staff=True)
    for _ in range(6):
        client.post(
            reverse("admin:login"),
            {"username": "editor", "password": "guess"},
            REMOTE_ADDR="127.0.0.1",
            HTTP_X_FORWARDED_FOR="203.0.113.7",
        )
    response = client.post(
        reverse("admin:login"),
        {"username": "editor", "password": "correct horse battery"},
        REMOTE_ADDR="127.0.0.1",
        HTTP_X_FORWARDED_FOR="198.51.100.9",
    )
    assert response.status_code == 302


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_twenty_parallel_wrong_passwords_get_five_checked_and_then_the_right_one_is_refused():
    User.objects.create_user("editor", password="correct horse battery", is_staff=True)
    pages, errors = run_together(lambda: attempt(Client(), "guess").content.decode(), count=20)
    assert not errors
    assert sum("Please enter the correct username and password" in page for page in pages) == 5
    assert sum("Too many failed log-in attempts" in page for page in pages) == 15
    client = Client()
    assert "Too many failed log-in attempts" in attempt(client, "correct horse battery").content.decode()
    assert "_auth_user_id" not in client.session


def test_guesses_from_the_addresses_of_one_ipv6_64_are_throttled_as_from_one_address(client):
    User.objects.create_user("editor", password="correct horse battery", is_staff=True)
    for n in range(1, 6):
        assert attempt(client, "guess", address=f"2001:db8:5:6:{n:x}::1").status_code == 200
    refused = attempt(client, "correct horse battery", address="2001:db8:5:6:ffff::9")
    assert "Too many failed log-in attempts" in refused.content.decode()
    assert attempt(client, "correct horse battery", address="2001:db8:5:7::1").status_code == 302
