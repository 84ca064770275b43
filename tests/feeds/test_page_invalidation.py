"""A poll that stores posts drops the cached lists they appear in; other sources' pages stay cached."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from feeds.services import feed_poll
from tests.articles.pages import main_column
from tests.factories import ArticleFactory, SourceFactory

pytestmark = pytest.mark.django_db(transaction=True)


def queries_for(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_a_poll_shows_its_new_posts_at_once_and_keeps_other_sources_pages_cached(client, source_at):
    other = ArticleFactory(source=SourceFactory(name="Hills Herald"), title="Hills story")
    source = source_at("/feed.xml", file="feeds/rss20.xml")
    untouched = [f"/source/{other.source.slug}/", other.get_absolute_url()]
    for url in ["/", f"/source/{source.slug}/", *untouched]:
        client.get(url)
    assert "Ferry timetable" not in main_column(client.get("/"))

    assert feed_poll(source=source).entries_new == 3

    assert "Ferry timetable changes from Monday" in main_column(client.get("/"))
    assert "Ferry timetable changes from Monday" in main_column(client.get(f"/source/{source.slug}/"))
    for url in untouched:
        assert queries_for(client, url) == 0, f"{url} was dropped by another source's poll"
