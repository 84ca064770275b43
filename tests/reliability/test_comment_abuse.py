"""Readers who abuse the comment form: floods, huge bodies, markup, forged posts."""

import pytest
from django.test import Client

from articles.models import Comment
from tests.concurrency import run_together
from tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db

FLOODER = "198.51.100.66"


def comment(client, article, body="Nice story.", address=FLOODER, **extra):
    data = {"author_name": "Reader", "email": "", "body": body, "website": "", **extra}
    return client.post(article.get_absolute_url(), data, REMOTE_ADDR=address)


def test_a_flood_from_one_address_is_cut_off_after_five_and_others_still_get_through(client):
    article = ArticleFactory()
    statuses = [comment(client, article, body=f"Spam {n}").status_code for n in range(50)]
    assert statuses[:5] == [302] * 5
    assert set(statuses[5:]) == {429}
    refused = comment(client, article)
    assert "Retry-After" in refused
    assert "too many comments" in refused.content.decode().lower()
    assert Comment.objects.count() == 5
    assert comment(client, article, address="203.0.113.5").status_code == 302


def test_a_one_megabyte_comment_is_refused_with_a_message_and_nothing_is_stored(client):
    article = ArticleFactory()
    response = comment(client, article, body="x" * 1_000_000)
    assert response.status_code == 400
    assert "5000 characters at most, please (this is 1000000)" in response.content.decode()
    assert Comment.objects.count() == 0


def test_a_request_body_beyond_the_upload_limit_is_a_400_not_a_500(client):
    article = ArticleFactory()
    response = comment(client, article, body="x" * 3_000_000)
    assert response.status_code == 400
    assert Comment.objects.count() == 0


def test_html_in_a_comment_is_shown_as_text(client, settings):
    settings.COMMENTS_AUTO_APPROVE = True
    article = ArticleFactory()
    comment(client, article, body='<img src=x onerror="alert(1)"> and <script>alert(2)</script>')
    page = client.get(article.get_absolute_url()).content.decode()
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in page
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in page
    assert "<img src=x" not in page
    assert "<script>alert(2)" not in page


def test_a_post_without_a_csrf_token_is_refused_with_403():
    article = ArticleFactory()
    response = comment(Client(enforce_csrf_checks=True), article)
    assert response.status_code == 403
    assert Comment.objects.count() == 0


def test_a_flood_of_invalid_forms_is_cut_off_too_without_storing_anything(client):
    article = ArticleFactory()
    statuses = [comment(client, article, body="").status_code for _ in range(20)]
    assert statuses[:15] == [400] * 15
    assert set(statuses[15:]) == {429}
    assert Comment.objects.count() == 0


def test_with_the_cache_down_comments_are_still_taken_and_limited_by_what_is_stored(client, settings):
    closed = "redis://127.0.0.1:1/0"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": closed,
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    article = ArticleFactory()
    statuses = [comment(client, article, body=f"Note {n}").status_code for n in range(7)]
    assert statuses == [302] * 5 + [429] * 2
    assert Comment.objects.count() == 5


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_forty_parallel_comments_from_one_address_store_no_more_than_the_limit():
    article = ArticleFactory()
    statuses, errors = run_together(lambda: comment(Client(), article).status_code, count=40)
    assert not errors
    assert Comment.objects.count() == 5
    assert sorted(statuses) == [302] * 5 + [429] * 35


def test_a_flood_from_the_addresses_of_one_ipv6_64_is_cut_off_as_from_one_address(client):
    article = ArticleFactory()
    statuses = [comment(client, article, address=f"2001:db8:1:2::{n:x}").status_code for n in range(1, 11)]
    assert statuses == [302] * 5 + [429] * 5
    assert Comment.objects.count() == 5
    assert comment(client, article, address="2001:db8:1:3::1").status_code == 302
