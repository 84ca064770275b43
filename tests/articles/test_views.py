from datetime import UTC, datetime

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import set_script_prefix

from articles.models import Article
from tests.articles.conftest import MAX_PAGE_QUERIES
from tests.articles.pages import main_column
from tests.factories import ArticleFactory, LabelFactory, SourceFactory

pytestmark = pytest.mark.django_db


def test_home_lists_published_posts_featured_then_newest_first(client):
    older = ArticleFactory(title="Older story")
    newer = ArticleFactory(
        title="Newer story", published_at=older.published_at.replace(year=older.published_at.year + 1)
    )
    ArticleFactory(title="Featured old story", is_featured=True, published_at=older.published_at.replace(year=2001))
    ArticleFactory(title="Hidden story", status=Article.Status.HIDDEN)
    page = client.get("/").content.decode()
    assert page.index("Featured old story") < page.index("Newer story") < page.index("Older story")
    assert "Hidden story" not in page
    assert newer.get_absolute_url() in page


def test_home_card_shows_source_date_thumbnail_and_excerpt(client):
    article = ArticleFactory(image_url="https://img.example.com/a.jpg", excerpt="A short summary of the news.")
    page = client.get("/").content.decode()
    assert article.source.name in page
    assert f'<time datetime="{article.published_at.isoformat()}">' in page
    assert 'src="https://img.example.com/a.jpg"' in page
    assert "A short summary of the news." in page


@override_settings(TIME_ZONE="Asia/Karachi")
def test_dates_are_shown_in_the_site_time_zone(client):
    article = ArticleFactory(published_at=datetime(2024, 4, 26, 22, 30, tzinfo=UTC))
    page = client.get("/").content.decode()
    assert '<time datetime="2024-04-27T03:30:00+05:00">27 April 2024, 03:30</time>' in page
    assert article.get_absolute_url() in page


def test_home_shows_twenty_posts_a_page(client):
    ArticleFactory.create_batch(21)
    first = client.get("/").content.decode()
    second = client.get("/", {"page": 2}).content.decode()
    assert first.count('class="post-card"') == 20
    assert second.count('class="post-card"') == 1
    assert 'rel="next"' in first and 'rel="prev"' not in first
    assert 'rel="prev"' in second and 'rel="next"' not in second


def test_list_pages_never_count_the_whole_archive(client):
    # "Page 2 of N" would count every published post on every render; one row more than a page tells enough.
    article = ArticleFactory()
    for url in ["/", f"/source/{article.source.slug}/", f"/{article.url_year}/"]:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        assert not [
            query
            for query in queries
            if "COUNT(" in query["sql"] and "articles_article" in query["sql"] and "url_month" not in query["sql"]
        ], url


@pytest.mark.parametrize("page", ["2", "0", "abc", "-1", "1.5"])
def test_out_of_range_or_malformed_page_is_a_404(client, page):
    ArticleFactory()
    assert client.get("/", {"page": page}).status_code == 404


def test_post_page_shows_title_author_source_body_and_attribution(client):
    source = SourceFactory(name="The Dawn", site_url="https://dawn.example.com/")
    article = ArticleFactory(source=source, title="Xi meets Blinken", url="https://ift.tt/1gBO6wd", author="Jane Doe")
    page = client.get(article.get_absolute_url()).content.decode()
    assert "<h1" in page and "Xi meets Blinken" in page
    assert "Jane Doe" in page
    assert "<p>The first paragraph of the story.</p>" in page
    assert (
        '<p class="attribution">from <a href="https://dawn.example.com/">The Dawn</a> · '
        '<a href="https://ift.tt/1gBO6wd">original article</a></p>'
    ) in page
    source.site_url = ""
    source.save()
    cache.clear()
    page = client.get(article.get_absolute_url()).content.decode()
    assert 'from <a href="https://ift.tt/1gBO6wd">The Dawn</a>' in page


def test_post_page_links_previous_and_next_posts_and_labels(client):
    first, second, third = (ArticleFactory(title=f"Post {n}") for n in range(3))  # newest first
    label = LabelFactory(name="Politics")
    second.labels.add(label)
    page = client.get(second.get_absolute_url()).content.decode()
    assert first.get_absolute_url() in page and "Newer post" in page
    assert third.get_absolute_url() in page and "Older post" in page
    assert f'href="{label.get_absolute_url()}" rel="tag">Politics</a>' in page


def test_hidden_post_page_is_a_404(client):
    article = ArticleFactory(status=Article.Status.HIDDEN)
    assert client.get(article.get_absolute_url()).status_code == 404


def test_post_url_is_fixed_at_first_store(client):
    article = ArticleFactory()
    old_url = article.get_absolute_url()
    article.published_at = article.published_at.replace(year=2001)
    article.save()
    assert client.get(old_url).status_code == 200


def test_source_page_lists_its_posts_and_links_to_its_site(client):
    source = SourceFactory(name="The Dawn News", site_url="https://dawn.example.com/")
    ArticleFactory(source=source, title="From Dawn")
    ArticleFactory(title="From elsewhere")
    page = main_column(client.get(f"/source/{source.slug}/"))
    assert "From Dawn" in page and "From elsewhere" not in page
    assert 'href="https://dawn.example.com/"' in page
    assert client.get("/source/no-such-source/").status_code == 404


def test_an_empty_source_page_tells_readers_in_their_words_and_only_staff_get_the_operator_hint(client):
    source = SourceFactory(name="Quiet Times")
    page = main_column(client.get(f"/source/{source.slug}/"))
    assert "No posts from Quiet Times yet" in page
    assert "pollfeeds" not in page and "admin" not in page
    staff = User.objects.create_user("desk", password="a-long-desk-password", is_staff=True)
    client.force_login(staff)
    page = main_column(client.get(f"/source/{source.slug}/"))
    assert "No posts from Quiet Times yet" in page and "pollfeeds --all" in page


def test_every_page_links_to_a_subscribe_page_that_explains_feed_readers_and_lists_sources_and_labels(client):
    source = SourceFactory(name="Harbour Gazette")
    post = ArticleFactory(source=source)
    label = LabelFactory(name="Ferries")
    post.labels.add(label)
    SourceFactory(name="Silent Source")  # no posts: not offered
    LabelFactory(name="Unused")
    home = client.get("/").content.decode()
    nav = home[home.index('<nav class="site-nav"') : home.index("</nav>")]
    assert 'href="/subscribe/"' in nav and 'href="/trending/"' in nav
    page = main_column(client.get("/subscribe/"))
    assert "feed reader" in page
    assert "http://127.0.0.1:8000/feeds/posts/default" in page and "http://127.0.0.1:8000/rss.xml" in page
    assert f'<a href="/source/{source.slug}/">Harbour Gazette</a>' in page
    assert f'href="/source/{source.slug}/rss.xml"' in page and f'href="/feeds/source/{source.slug}"' in page
    assert "Ferries" in page and f"/label/{label.slug}/rss.xml" in page
    assert "Silent Source" not in page and "Unused" not in page


def test_label_page_lists_posts_with_that_label(client):
    label = LabelFactory(name="Climate", slug="climate")
    ArticleFactory(title="Labelled post").labels.add(label)
    ArticleFactory(title="Other post")
    page = main_column(client.get("/label/climate/"))
    assert "Labelled post" in page and "Other post" not in page
    assert client.get("/label/nothing/").status_code == 404


def test_year_and_month_archives(client):
    article = ArticleFactory(title="March news")
    ArticleFactory(title="Other year news", published_at=article.published_at.replace(year=2001))
    year, month = article.url_year, article.url_month
    year_page = main_column(client.get(f"/{year}/"))
    month_page = main_column(client.get(f"/{year}/{month:02d}/"))
    assert "March news" in year_page and "Other year news" not in year_page
    assert "March news" in month_page and "Other year news" not in month_page
    assert client.get("/1999/").status_code == 404
    assert client.get("/1999/01/").status_code == 404
    assert client.get("/0000/01/").status_code == 404


def test_year_archive_lists_its_months_newest_first(client):
    march = ArticleFactory(title="March news", published_at=datetime(2024, 3, 10, tzinfo=UTC))
    ArticleFactory(title="October news", published_at=datetime(2024, 10, 2, tzinfo=UTC))
    # An editor moved March's post to a later date: it stays in March, where its address puts it.
    Article.objects.filter(pk=march.pk).update(published_at=datetime(2024, 11, 1, tzinfo=UTC))
    page = main_column(client.get("/2024/"))
    assert page.index("October news") < page.index("March news")


def test_blog_archive_widget_counts_posts_per_year_and_month(client):
    article = ArticleFactory()
    ArticleFactory(published_at=article.published_at)
    ArticleFactory(published_at=article.published_at.replace(year=2001, month=5, day=3))
    page = client.get("/").content.decode()
    assert "Blog archive" in page
    assert f'<summary>{article.url_year} <span class="count">(2)</span></summary>' in page
    assert f'href="/{article.url_year}/">All of {article.url_year}</a>' in page
    assert 'href="/2001/05/">May</a> <span class="count">(1)</span>' in page


def test_404_page_is_in_the_site_style(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()
    assert "Blog archive" in response.content.decode()


def test_500_page_renders_without_a_request_context_or_a_query(django_assert_num_queries):
    from django.template.loader import render_to_string

    with django_assert_num_queries(0):
        html = render_to_string("500.html")
    assert "Something went wrong" in html


def test_robots_txt_names_the_sitemap(client):
    response = client.get("/robots.txt")
    assert response["Content-Type"].startswith("text/plain")
    assert "Sitemap: http://127.0.0.1:8000/sitemap.xml" in response.content.decode()
    assert "Disallow: /admin/" in response.content.decode()


def _page_urls(article):
    return [
        "/",
        "/?page=1",
        article.get_absolute_url(),
        f"/source/{article.source.slug}/",
        f"/label/{article.labels.first().slug}/",
        f"/{article.url_year}/",
        f"/{article.url_year}/{article.url_month:02d}/",
        "/search?q=story",
        "/search?q=",
        "/feeds/posts/default",
        "/rss.xml",
        f"/feeds/source/{article.source.slug}",
        f"/source/{article.source.slug}/rss.xml",
        f"/feeds/posts/default/-/{article.labels.first().slug}",
        f"/label/{article.labels.first().slug}/rss.xml",
        "/sitemap.xml",
        "/robots.txt",
        "/subscribe/",
        "/no-such-page/",
    ]


@pytest.mark.parametrize("posts", [1, 100])
def test_every_page_costs_a_fixed_small_number_of_queries(client, count_queries, populated_site, posts):
    article = populated_site(posts)
    for url in _page_urls(article):
        cache.clear()  # the worst case: the sidebar's archive widget is computed again too
        response, queries = count_queries(client, url)
        assert response.status_code in (200, 404), url
        assert queries <= MAX_PAGE_QUERIES, f"{url} cost {queries} queries"


def test_query_counts_do_not_grow_with_the_number_of_posts(client, count_queries, populated_site):
    small = {url: count_queries(client, url)[1] for url in _page_urls(populated_site(1))}
    Article.objects.all().delete()
    cache.clear()
    large = {url: count_queries(client, url)[1] for url in _page_urls(populated_site(100))}
    assert list(small.values()) == list(large.values())


@pytest.mark.postgres
@override_settings(PAGE_CACHE_SECONDS=0)
def test_a_post_page_renders_in_one_query(client, populated_site, count_queries):
    # The post with its source and, beside it, its approved comments, its labels, its story's other copies and both
    # neighbours.
    article = populated_site(5)
    cache.clear()
    other = Article.objects.exclude(pk=article.pk).first()
    client.get(other.get_absolute_url())  # the sidebar's widgets (a post page's own) are cached; this page is not
    response, queries = count_queries(client, article.get_absolute_url())
    page = response.content.decode()
    assert response.status_code == 200 and 'rel="prev"' in page and "5 comments" in page
    assert queries == 1


def test_a_site_served_under_a_path_prefix_links_inside_it_and_one_served_at_the_root_does_not(client, settings):
    settings.PAGE_CACHE_SECONDS = 0
    post = ArticleFactory(title="Harbour reopens")
    label = post.labels.create(name="Ports", slug="ports")
    path = post.get_absolute_url()
    for prefix in ("/news", "", "/news"):
        set_script_prefix(prefix + "/")  # what the WSGI handler does for a request under SCRIPT_NAME
        try:
            page = client.get(path).content.decode()
        finally:
            set_script_prefix("/")
        assert f'href="{prefix}/trending/"' in page  # the site's navigation
        assert f'href="{prefix}/source/{post.source.slug}/"' in page
        assert f'href="{prefix}/label/{label.slug}/"' in page
