"""A change drops the cached pages that can show it, and only those: the rest of the site stays warm."""

import pytest

from articles.models import Article, Comment
from tests.articles.pages import main_column
from tests.factories import ArticleFactory, CommentFactory, LabelFactory, SourceFactory
from tests.operations.desk import action, editor_client

pytestmark = pytest.mark.django_db(transaction=True)

POSTS = "/admin/articles/article/"


@pytest.fixture
def site():
    """Two sources, a labelled post on each; an older post of the first source."""
    harbour, hills = SourceFactory(name="Harbour Gazette"), SourceFactory(name="Hills Herald")
    weather = LabelFactory(name="weather")
    older = ArticleFactory(source=harbour, title="Older harbour story")
    first = ArticleFactory(source=harbour, title="Harbour story")
    second = ArticleFactory(source=hills, title="Hills story")
    first.labels.add(weather)
    return {"harbour": harbour, "hills": hills, "weather": weather, "older": older, "first": first, "second": second}


def warm(client, count_queries, urls: list[str]) -> None:
    for url in urls:
        assert client.get(url).status_code == 200, url
        assert count_queries(client, url)[1] == 0, f"{url} was not cached"


def cached(client, count_queries, url: str) -> bool:
    return count_queries(client, url)[1] == 0


def test_a_new_post_drops_the_lists_it_appears_in_and_no_other_posts_page(client, count_queries, site):
    harbour, hills, weather = site["harbour"], site["hills"], site["weather"]
    older, second = site["older"], site["second"]
    lists = ["/", f"/source/{harbour.slug}/", f"/label/{weather.slug}/", "/rss.xml", f"/source/{harbour.slug}/rss.xml"]
    others = [f"/source/{hills.slug}/", older.get_absolute_url(), second.get_absolute_url()]
    warm(client, count_queries, lists + others)

    new = ArticleFactory(source=harbour, title="Breaking harbour news")
    new.labels.add(weather)

    for url in lists:
        assert "Breaking harbour news" in client.get(url).content.decode(), url
    month = f"/{new.url_year}/{new.url_month:02d}/"
    assert "Breaking harbour news" in client.get(month).content.decode()
    for url in others:
        assert cached(client, count_queries, url), f"{url} was dropped by another source's new post"


def test_an_approved_comment_drops_its_post_page_only(client, count_queries, site):
    post, other = site["first"], site["second"]
    warm(client, count_queries, ["/", post.get_absolute_url(), other.get_absolute_url()])
    CommentFactory(article=post, body="Well reported", status=Comment.Status.APPROVED)
    assert "Well reported" in client.get(post.get_absolute_url()).content.decode()
    assert cached(client, count_queries, "/")
    assert cached(client, count_queries, other.get_absolute_url())


def test_an_editor_hiding_a_post_drops_it_from_its_page_and_lists_not_other_posts(client, count_queries, site):
    post, other = site["first"], site["second"]
    reader = client.__class__()
    warm(reader, count_queries, ["/", post.get_absolute_url(), other.get_absolute_url()])
    action(editor_client(client), POSTS, "hide", [post])
    assert Article.objects.get(pk=post.pk).status == Article.Status.HIDDEN
    assert reader.get(post.get_absolute_url()).status_code == 404
    assert "Harbour story" not in main_column(reader.get("/"))
    assert cached(reader, count_queries, other.get_absolute_url())


def test_a_renamed_source_drops_every_page(client, count_queries, site):
    post = site["second"]
    warm(client, count_queries, ["/", post.get_absolute_url()])
    hills = site["hills"]
    hills.name = "The Hills Herald"
    hills.save()
    assert "The Hills Herald" in client.get("/").content.decode()
    assert "The Hills Herald" in client.get(post.get_absolute_url()).content.decode()


def test_a_label_taken_off_a_post_drops_that_labels_page(client, count_queries, site):
    post, weather = site["first"], site["weather"]
    warm(client, count_queries, [f"/label/{weather.slug}/"])
    post.labels.remove(weather)
    assert "Harbour story" not in main_column(client.get(f"/label/{weather.slug}/"))
