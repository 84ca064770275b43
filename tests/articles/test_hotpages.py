"""The in-process layer in front of Redis: hot pages cost no round trip, and changes still show within bounds."""

import time

import pytest
import redis
from django.core.cache import cache
from django.test import RequestFactory

from articles import fragments, hotpages, pagecache
from articles.hotpages import HotPages
from articles.models import Article
from articles.pagecache import EPOCH_KEY, section_key
from articles.popularity import flush_views
from tests.articles.popularity.helpers import reader_headers, sidebar, totals, viewed
from tests.factories import ArticleFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.redis]


@pytest.fixture(autouse=True)
def _two_seconds_in_process(settings):
    settings.PAGE_CACHE_LOCAL_SECONDS = 2
    hotpages.hot_pages.clear()
    fragments.memory.clear()
    yield
    hotpages.hot_pages.clear()
    fragments.memory.clear()


@pytest.fixture
def clock(monkeypatch):
    """The layer's clock, moved forward by hand."""
    now = [1000.0]
    monkeypatch.setattr(hotpages.time, "monotonic", lambda: now[0])
    return now


@pytest.fixture
def redis_commands(monkeypatch):
    sent = []
    execute_command = redis.Redis.execute_command

    def command(self, *args, **options):
        sent.append(args[0])
        return execute_command(self, *args, **options)

    monkeypatch.setattr(redis.Redis, "execute_command", command)
    return sent


def test_a_hot_home_page_is_served_without_a_redis_round_trip(client, redis_commands, clock):
    ArticleFactory(title="Harbour reopens")
    client.get("/")  # rendered
    client.get("/")  # read from Redis as current, kept in the process
    redis_commands.clear()
    response = client.get("/")
    assert "Harbour reopens" in response.content.decode()
    assert redis_commands == []


def test_another_process_change_shows_once_the_seconds_are_over(client, clock):
    post = ArticleFactory(title="Before")
    client.get("/")
    client.get("/")
    Article.objects.filter(pk=post.pk).update(title="After")
    cache.set(EPOCH_KEY, 42, None)  # what another process's invalidation writes; this process's copy stays
    assert "Before" in client.get("/").content.decode()
    clock[0] += 2.1
    assert "After" in client.get("/").content.decode()


def test_this_process_change_shows_at_once(client, clock):
    post = ArticleFactory(title="Before")
    client.get("/")
    client.get("/")
    post.title = "After"
    post.save()
    assert "After" in client.get("/").content.decode()


def test_a_hot_post_page_still_counts_every_readers_view(client, clock):
    post = ArticleFactory()
    for number in range(1, 6):
        assert client.get(post.get_absolute_url(), **reader_headers(number)).status_code == 200
    assert hotpages.hot_pages.get(next(iter(hotpages.hot_pages._pages))) is not None
    flush_views()
    assert totals(post)[0] == 5


def test_the_layer_holds_a_bounded_number_of_pages(clock):
    pages = HotPages(max_pages=3)
    for n in range(5):
        pages.put(f"page-{n}", n)
    assert [pages.get(f"page-{n}") for n in range(5)] == [None, None, 2, 3, 4]


def test_the_sidebar_widgets_are_kept_in_the_process_and_follow_a_change_elsewhere_within_the_seconds(
    client, settings, clock, redis_commands
):
    settings.PAGE_CACHE_SECONDS = 0  # every page rendered: only the widgets' copies are in play
    viewed(ArticleFactory(title="Read most"), 5)
    rising = ArticleFactory(title="Read more now")
    assert "Read most" in sidebar(client, "/")
    redis_commands.clear()
    client.get("/")
    # The two widgets, their generation and the page's post cards all came from memory.
    assert not [command for command in redis_commands if command in ("GET", "MGET")]
    viewed(rising, 50)  # counted by a flush in another process, which also drops the widgets there
    cache.set(EPOCH_KEY, 43, None)  # another process's change: this process keeps its copies a little longer
    assert "Read more now" not in sidebar(client, "/")
    clock[0] += 2.1
    assert "Read more now" in sidebar(client, "/")


def test_a_post_hidden_here_leaves_the_widgets_at_once(client, settings, clock):
    settings.PAGE_CACHE_SECONDS = 0
    post = viewed(ArticleFactory(title="Soon hidden"), 5)
    ArticleFactory(title="Stays")
    assert "Soon hidden" in sidebar(client, "/source/" + post.source.slug + "/")
    post.status = Article.Status.HIDDEN
    post.save()
    assert "Soon hidden" not in sidebar(client, "/")


def test_an_uncached_page_reads_its_cards_and_post_parts_from_memory_and_still_shows_every_change(
    client, settings, clock, redis_commands
):
    settings.PAGE_CACHE_SECONDS = 0
    post = ArticleFactory(title="Harbour reopens")
    for url in ("/", post.get_absolute_url()):
        client.get(url)
        redis_commands.clear()
        assert "Harbour reopens" in client.get(url).content.decode()
        assert not [command for command in redis_commands if command in ("GET", "MGET")], url
    # No signal, no invalidation: the fragments' keys are digests of what they show, so memory cannot serve the old.
    Article.objects.filter(pk=post.pk).update(title="Harbour reopened")
    for url in ("/", post.get_absolute_url()):
        assert "Harbour reopened" in client.get(url).content.decode(), url


def test_fragments_in_memory_are_bounded_by_their_size():
    memory = fragments._Memory(max_bytes=10)
    memory.put_many({"a": "12345", "b": "12345"})
    memory.get_many(["a"])  # a is now the most recently used
    memory.put_many({"c": "123"})
    assert memory.get_many(["a", "b", "c"]) == {"a": "12345", "c": "123"}
    assert memory.size == 8


def test_a_copy_served_while_another_process_renders_is_not_kept_in_this_one(client, clock):
    post = ArticleFactory(title="Before")
    client.get("/")
    client.get("/")
    clock[0] += 2.1  # this process's own copy is over
    Article.objects.filter(pk=post.pk).update(title="After")
    cache.set(section_key("home"), time.time_ns(), None)  # another process's change...
    elsewhere = RequestFactory().get("/")
    rendering = pagecache.page_cache_get(elsewhere)  # ...and its render of the home page begins
    assert "Before" in client.get("/").content.decode()
    pagecache.page_cache_set(elsewhere, pagecache.CachedPage(b"<p>Rendered after</p>"), rendering)
    pagecache.page_cache_release(rendering)
    assert "Rendered after" in client.get("/").content.decode()  # at once, not two seconds later
