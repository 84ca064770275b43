import time

import pytest
from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache
from django.db import connection
from django.test import Client, RequestFactory, override_settings
from django.test.utils import CaptureQueriesContext

from articles import pagecache
from articles.models import Comment
from articles.templatetags.reader import archive_key
from tests.factories import ArticleFactory, CommentFactory

pytestmark = pytest.mark.django_db(transaction=True)


class Clock:
    """The page cache's clock (generations and the stale bound), moved forward by hand."""

    def __init__(self):
        self.offset = 0.0

    def advance(self, seconds: float) -> None:
        self.offset += seconds

    def time(self) -> float:
        return time.time() + self.offset

    def time_ns(self) -> int:
        return time.time_ns() + int(self.offset * 1e9)


@pytest.fixture
def clock(monkeypatch):
    fake = Clock()
    monkeypatch.setattr(pagecache, "time", fake)
    return fake


def test_anonymous_pages_are_served_from_the_cache_without_queries(client, count_queries):
    ArticleFactory(title="Cached story")
    first, first_queries = count_queries(client, "/")
    second, second_queries = count_queries(client, "/")
    assert first_queries > 0 and second_queries == 0
    assert second.content == first.content


def test_a_changed_post_shows_at_once(client):
    article = ArticleFactory(title="Before")
    assert "Before" in client.get("/").content.decode()
    assert "Before" in client.get(article.get_absolute_url()).content.decode()
    article.title = "After"
    article.save()
    assert "After" in client.get("/").content.decode()
    assert "After" in client.get(article.get_absolute_url()).content.decode()


def test_an_approved_comment_shows_at_once_and_a_pending_one_keeps_the_cache(client, count_queries):
    article = ArticleFactory()
    url = article.get_absolute_url()
    client.get(url)
    comment = CommentFactory(article=article, body="Waiting for an editor", status=Comment.Status.PENDING)
    response, queries = count_queries(client, url)
    assert queries == 0 and "Waiting for an editor" not in response.content.decode()
    comment.status = Comment.Status.APPROVED
    comment.save()
    assert "Waiting for an editor" in client.get(url).content.decode()
    comment.delete()
    assert "Waiting for an editor" not in client.get(url).content.decode()


def test_every_get_of_a_post_counts_a_view_cached_or_not(client, monkeypatch):
    counted = []
    monkeypatch.setattr("articles.popularity.view_record", lambda *, request, article_id: counted.append(article_id))
    article = ArticleFactory()
    for _ in range(3):
        assert client.get(article.get_absolute_url()).status_code == 200
    assert counted == [article.id] * 3
    client.get("/")
    client.get("/2001/01/missing.html")
    assert counted == [article.id] * 3


def test_logged_in_readers_bypass_the_cache(client, admin_user, count_queries):
    ArticleFactory()
    client.get("/")
    client.force_login(admin_user)
    _, queries = count_queries(client, "/")
    assert queries > 0


def test_a_reader_with_a_flash_message_sees_it_on_a_cached_page_and_no_one_else_does(client, settings):
    settings.COMMENTS_AUTO_APPROVE = True
    article = ArticleFactory()
    client.get(article.get_absolute_url())  # the page is cached for anonymous readers
    comment = {"author_name": "Ada", "email": "ada@example.com", "body": "Well said.", "website": ""}
    client.post(article.get_absolute_url(), comment)
    assert "Thank you: your comment is published." in client.get(article.get_absolute_url()).content.decode()
    assert "Thank you" not in Client().get(article.get_absolute_url()).content.decode()


@override_settings(PAGE_CACHE_SECONDS=0)
def test_the_cache_can_be_switched_off(client, count_queries):
    ArticleFactory()
    client.get("/")
    _, queries = count_queries(client, "/")
    assert queries > 0


def test_pages_render_when_redis_is_down(client, settings):
    article = ArticleFactory(title="Still readable")
    dead = {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}
    settings.CACHES = {"default": {**dead, "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2}}}
    assert "Still readable" in client.get("/").content.decode()
    assert "Still readable" in client.get(article.get_absolute_url()).content.decode()
    article.title = "Changed"
    article.save()
    assert "Changed" in client.get("/").content.decode()


@pytest.mark.redis
def test_the_cache_lives_in_redis_in_production_mode(client):
    ArticleFactory()
    client.get("/")
    assert isinstance(caches["default"], RedisCache)  # Django's, or the subclass that counts gets for /metrics
    assert cache.get(archive_key(pagecache.sidebar_generation())) is not None


def test_a_page_rendered_across_a_change_is_not_kept_as_the_new_version(client, django_capture_on_commit_callbacks):
    article = ArticleFactory(title="Before the change")
    request_path = article.get_absolute_url()
    request = RequestFactory().get(request_path)
    lookup = pagecache.page_cache_get(request)  # a render starts...
    with django_capture_on_commit_callbacks(execute=True):  # ...an editor's change commits meanwhile...
        article.title = "After the change"
        article.save()
    stale = pagecache.CachedPage(b"<p>Before the change</p>", article_id=article.id)
    pagecache.page_cache_set(request, stale, lookup)  # ...and the render that began before it ends
    assert "After the change" in client.get(request_path).content.decode()


def test_unused_query_parameters_neither_fill_the_cache_nor_force_renders(client):
    ArticleFactory.create_batch(25)
    client.get("/")
    with CaptureQueriesContext(connection) as queries:
        for n in range(5):
            assert client.get("/", {"utm_source": f"x{n}"}).status_code == 200
    assert len(queries) == 0
    page_two = client.get("/", {"page": 2}).content.decode()
    assert page_two != client.get("/").content.decode()


def test_a_page_cached_for_one_host_or_scheme_is_not_served_to_another(client, count_queries):
    ArticleFactory()
    client.get("/", HTTP_HOST="localhost")
    assert count_queries(client, "/", HTTP_HOST="localhost")[1] == 0
    assert count_queries(client, "/", HTTP_HOST="127.0.0.1")[1] > 0
    assert count_queries(client, "/", HTTP_HOST="localhost", secure=True)[1] > 0


def test_while_one_reader_renders_a_dropped_page_the_others_get_the_copy_from_before(client, count_queries):
    article = ArticleFactory(title="Before the poll")
    client.get("/")
    article.title = "After the poll"
    article.save()
    renderer = RequestFactory().get("/")
    renders = pagecache.page_cache_get(renderer)  # the first reader after the change starts rendering...
    assert renders.page is None and renders.render_lock is not None
    waiting, queries = count_queries(client, "/")  # ...and another reader is not made to render it too
    assert queries == 0 and "Before the poll" in waiting.content.decode()
    pagecache.page_cache_release(renders)  # the render failed, or ended without storing
    assert "After the poll" in client.get("/").content.decode()
    assert "After the poll" in client.get("/").content.decode()


def test_a_copy_from_before_a_change_is_never_served_past_the_stale_bound(client, clock, count_queries):
    article = ArticleFactory(title="Before the edit")
    client.get("/")
    clock.advance(1)
    article.title = "After the edit"
    article.save()
    pagecache.page_cache_get(RequestFactory().get("/"))  # a render that began and never ended
    clock.advance(settings.PAGE_CACHE_STALE_SECONDS + 1)
    response, queries = count_queries(client, "/")
    assert queries > 0 and "After the edit" in response.content.decode()


def test_a_copy_is_bounded_by_the_first_change_it_missed_not_the_last(client, clock, count_queries):
    article = ArticleFactory(title="Original title")
    client.get("/")
    clock.advance(1)
    article.title = "Edited title"  # the copy is out of date from here...
    article.save()
    clock.advance(4)
    ArticleFactory(title="Another post")  # ...though the last change is only a moment old when readers come
    clock.advance(2)
    pagecache.page_cache_get(RequestFactory().get("/"))
    response, queries = count_queries(client, "/")
    assert queries > 0 and "Edited title" in response.content.decode()


def test_a_render_of_an_older_generation_never_lets_go_of_a_newer_renders_lock(client, clock, count_queries):
    article = ArticleFactory(title="First")
    client.get("/")
    article.title = "Second"
    article.save()
    older = pagecache.page_cache_get(RequestFactory().get("/"))  # renders the second version...
    article.title = "Third"
    article.save()
    newer = pagecache.page_cache_get(RequestFactory().get("/"))  # ...while another renders the third
    assert newer.render_lock is not None and newer.render_lock != older.render_lock
    pagecache.page_cache_release(older)  # the older render ends
    response, queries = count_queries(client, "/")
    assert queries == 0 and "First" in response.content.decode()  # not a third render meanwhile


def test_a_failed_render_lets_the_next_reader_render(client, monkeypatch):
    article = ArticleFactory(title="Before the change")
    client.get("/")
    article.title = "After the change"
    article.save()

    def broken_render(*args, **kwargs):
        raise RuntimeError("template error")

    monkeypatch.setattr("articles.views._post_list", broken_render)
    with pytest.raises(RuntimeError):
        client.get("/")
    monkeypatch.undo()
    assert "After the change" in client.get("/").content.decode()


def test_a_post_page_dropped_by_a_change_is_never_served_from_before_it(client, monkeypatch):
    counted = []
    monkeypatch.setattr("articles.popularity.view_record", lambda *, request, article_id: counted.append(article_id))
    monkeypatch.setattr("articles.popularity.view_record_cached_page", lambda *, request: None)
    article = ArticleFactory(title="Before the edit")
    url = article.get_absolute_url()
    client.get(url)
    article.title = "After the edit"
    article.save()
    pagecache.page_cache_get(RequestFactory().get(url))  # another reader is rendering the page meanwhile
    assert "After the edit" in client.get(url).content.decode()
    post_id = article.id
    article.delete()
    pagecache.page_cache_get(RequestFactory().get(url))
    assert client.get(url).status_code == 404  # a deleted post's page is not served, nor its view counted
    assert counted == [post_id, post_id]
