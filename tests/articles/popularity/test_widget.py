"""The "Popular posts" sidebar widget and the "Trending now" page."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.articles.popularity.helpers import sidebar, viewed
from tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db


def test_every_page_shows_the_most_read_posts_with_title_link_thumbnail_and_snippet(client):
    top = viewed(ArticleFactory(title="Most read", image_url="https://img.example.com/a.jpg", excerpt="Long text."), 9)
    viewed(ArticleFactory(title="Second"), 4)
    for url in ("/", top.get_absolute_url(), "/trending/"):
        html = sidebar(client, url)
        assert "Popular posts from this blog" in html
        assert html.index("Most read") < html.index("Second")
        assert f'<a href="{top.get_absolute_url()}">Most read</a>' in html
        assert 'src="https://img.example.com/a.jpg"' in html
        assert "Long text." in html


def test_the_snippet_is_cut_at_the_configured_length(client, settings):
    viewed(ArticleFactory(excerpt="word " * 400), 1)
    snippet = sidebar(client).split('class="popular-post-snippet">')[1].split("</p>")[0]
    assert len(snippet) == 900
    cache.clear()
    settings.POPULAR_SNIPPET_CHARS = 120
    snippet = sidebar(client).split('class="popular-post-snippet">')[1].split("</p>")[0]
    assert len(snippet) == 120


def test_settings_choose_count_thumbnails_and_window(client, settings):
    for views in range(1, 8):
        viewed(ArticleFactory(title=f"Post with {views} views", image_url="https://img.example.com/x.jpg"), views)
    viewed(ArticleFactory(title="Old favourite"), 100, days_ago=20)
    assert sidebar(client).count('class="popular-post"') == 5
    settings.POPULAR_COUNT, settings.POPULAR_THUMBNAILS, settings.POPULAR_WINDOW = 2, False, "30d"
    cache.clear()  # the page cache keeps whole pages; a settings change takes effect with the next render
    html = sidebar(client)
    assert html.count('class="popular-post"') == 2
    assert "Old favourite" in html
    assert "img.example.com" not in html


def test_with_no_views_a_post_page_shows_the_newest_posts_and_list_pages_do_not_repeat_their_cards(client):
    older = ArticleFactory(title="Older post")
    newest = ArticleFactory(title="Newest post")
    newest.published_at = newest.published_at.replace(year=newest.published_at.year + 1)
    newest.save()
    html = sidebar(client, older.get_absolute_url())
    assert "Popular posts from this blog" not in html
    assert "Newest posts" in html
    assert "No views counted yet" in html
    assert html.index("Newest post") < html.index("Older post")
    for url in ("/", f"/source/{older.source.slug}/", "/trending/"):
        html = sidebar(client, url)
        assert "popular-posts" not in html and "Newest post" not in html, url
    viewed(older, 1)
    cache.clear()
    assert "Popular posts from this blog" in sidebar(client, "/")


def test_an_empty_site_shows_no_widget(client):
    html = sidebar(client)
    assert "popular-posts" not in html and "Newest posts" not in html


def test_titles_and_snippets_are_escaped(client):
    viewed(ArticleFactory(title="<script>alert(1)</script>", excerpt="<b>bold</b>"), 1)
    html = sidebar(client)
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b&gt;bold&lt;/b&gt;" in html


@pytest.mark.parametrize("with_views", [True, False], ids=["popular", "new-site"])
def test_the_widget_costs_one_query_on_a_cache_miss_and_none_on_a_hit(client, settings, with_views):
    settings.PAGE_CACHE_SECONDS = 0  # render the page both times, so only the widget's own cache differs
    posts = ArticleFactory.create_batch(8)
    if with_views:
        for views, post in enumerate(posts, start=1):
            viewed(post, views)
    client.get("/")  # warms every other cache on the page
    settings.POPULAR_SNIPPET_CHARS += 1  # part of the widget's cache key: the next render is a widget miss
    with CaptureQueriesContext(connection) as miss:
        client.get("/")
    with CaptureQueriesContext(connection) as hit:
        client.get("/")
    widget_queries = len(miss) - len(hit)
    assert widget_queries == 1
    assert not any("articledailyviews" in q["sql"] or 'total_views" DESC' in q["sql"] for q in hit.captured_queries)


def test_the_trending_page_lists_what_is_hot_now(client):
    viewed(ArticleFactory(title="Big last week"), 50, days_ago=5)
    viewed(ArticleFactory(title="Hot right now"), 10)
    page = client.get("/trending/")
    assert page.status_code == 200
    html = page.content.decode()
    content = html[: html.index('<aside class="sidebar"')]
    assert "<h1>Trending now</h1>" in content
    assert content.index("Hot right now") < content.index("Big last week")


def test_the_trending_page_costs_a_fixed_number_of_queries(client):
    for views in range(1, 30):
        viewed(ArticleFactory(), views)
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/trending/").status_code == 200
    assert len(queries) <= 3  # trending, the popular-posts and the archive widgets, on cold caches
    with CaptureQueriesContext(connection) as queries:
        client.get("/trending/")
    assert len(queries) == 0


def test_a_new_site_trending_page_says_nothing_is_trending(client):
    ArticleFactory()
    assert "Nothing is trending yet" in client.get("/trending/").content.decode()


def test_a_hidden_post_leaves_the_widget_with_the_next_page_render(client, django_capture_on_commit_callbacks):
    hidden = viewed(ArticleFactory(title="Soon hidden"), 9)
    viewed(ArticleFactory(title="Still shown"), 4)
    assert "Soon hidden" in sidebar(client)
    with django_capture_on_commit_callbacks(execute=True):
        hidden.status = hidden.Status.HIDDEN
        hidden.save()
    html = sidebar(client)
    assert "Soon hidden" not in html
    assert "Still shown" in html
