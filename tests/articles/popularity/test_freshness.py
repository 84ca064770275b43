"""The popular-posts widget on cached pages follows the ranking each view flush makes, with the page cache on."""

import pytest

from articles.pagecache import sidebar_generation
from articles.popularity import flush_views
from tests.articles.popularity.helpers import reader_headers, viewed
from tests.factories import ArticleFactory

pytestmark = [pytest.mark.django_db, pytest.mark.redis]


@pytest.fixture(autouse=True)
def _page_cache_as_in_production(settings):
    settings.PAGE_CACHE_SECONDS = 600


def widget(client, url: str) -> str:
    page = client.get(url).content.decode()
    return page[page.index('<aside class="sidebar"') :]


def test_a_flush_that_changes_the_ranking_shows_on_every_cached_page_at_once(client):
    favourite = viewed(ArticleFactory(title="Yesterday's favourite"), 3)
    rising = ArticleFactory(title="Rising story")
    elsewhere = ArticleFactory(title="Unrelated post").get_absolute_url()
    for url in ("/", elsewhere):
        assert "Rising story" not in widget(client, url)  # now cached for ten minutes
    for number in range(5):
        client.get(rising.get_absolute_url(), **reader_headers(number))
    assert flush_views().views == 5
    for url in ("/", elsewhere):
        html = widget(client, url)
        assert html.index("Rising story") < html.index(favourite.title.replace("'", "&#x27;"))


def test_a_flush_that_leaves_the_ranking_as_it_was_keeps_the_cached_pages(client):
    leader = viewed(ArticleFactory(title="Leader"), 50)
    runner_up = viewed(ArticleFactory(title="Runner-up"), 10)
    client.get(leader.get_absolute_url(), **reader_headers(1))
    flush_views()  # the first flush learns the ranking
    generation = sidebar_generation()
    client.get(runner_up.get_absolute_url(), **reader_headers(2))
    assert flush_views().views == 1
    assert sidebar_generation() == generation
