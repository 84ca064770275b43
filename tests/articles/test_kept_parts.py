"""A post page rendered per request reads the parts that show only its row from the cache, yet every change a
reader could see shows at the next render: the parts' keys are digests of what they show."""

import pytest
from django.core.cache import cache
from redis import RedisError

from articles.models import Article, Label
from feeds.models import Source
from tests.factories import ArticleFactory, CommentFactory, SourceFactory

pytestmark = pytest.mark.django_db

INCLUDED = ("includes/attribution.html", "articles/also_covered_by.html")


@pytest.fixture(autouse=True)
def _every_page_rendered(settings):
    settings.PAGE_CACHE_SECONDS = 0


def included_renders(response) -> int:
    return sum(template.name in INCLUDED for template in response.templates)


def test_the_post_is_rendered_once_then_read_from_the_cache_with_the_same_html(client):
    post = ArticleFactory(title="Harbour reopens")
    first, second = client.get(post.get_absolute_url()), client.get(post.get_absolute_url())
    assert included_renders(first) == 2 and included_renders(second) == 0
    assert _without_csrf(first) == _without_csrf(second)
    assert "Harbour reopens" in second.content.decode()


def _without_csrf(response) -> str:
    page = response.content.decode()
    return page.split('name="csrfmiddlewaretoken"')[0]


@pytest.mark.parametrize(
    "change",
    [
        {"title": "Ferry strike called off"},
        {"body_html": "<p>Talks resumed at dawn.</p>"},
        {"excerpt": "A new summary for the description."},
        {"author": "Dana Writer"},
        {"url": "https://news.example.com/moved/ferry"},
    ],
    ids=["title", "body", "description", "byline", "original-link"],
)
def test_a_changed_post_shows_at_the_next_render(client, change):
    post = ArticleFactory(title="Ferry strike", author="A. Reporter")
    client.get(post.get_absolute_url())
    # update() sends no signal and leaves updated_at alone, as bulk edits do: the page must still follow.
    Article.objects.filter(pk=post.pk).update(**change)
    page = client.get(post.get_absolute_url()).content.decode()
    assert next(iter(change.values())).replace("<p>", "").replace("</p>", "") in page


def test_a_renamed_source_a_new_label_and_a_newer_post_show_at_the_next_render(client):
    post = ArticleFactory(title="Ferry strike")
    client.get(post.get_absolute_url())
    Source.objects.filter(pk=post.source_id).update(name="Harbour Gazette")
    post.labels.add(Label.objects.create(name="Transport", slug="transport"))
    ArticleFactory(title="Ferries run again", published_at=post.published_at.replace(year=post.published_at.year + 1))
    page = client.get(post.get_absolute_url()).content.decode()
    assert "from <a" in page and "Harbour Gazette</a>" in page
    assert 'rel="tag">Transport</a>' in page
    assert "<span>Newer post</span> Ferries run again" in page


def test_a_copy_joining_the_story_shows_in_also_covered_by_at_the_next_render(client):
    lead = ArticleFactory(title="Summit ends with a pact")
    client.get(lead.get_absolute_url())
    ArticleFactory(
        title="Pact at the summit",
        source=SourceFactory(name="Wire Service"),
        url="https://wire.example.com/pact",
        status=Article.Status.COPY,
        story_lead=lead,
    )
    page = client.get(lead.get_absolute_url()).content.decode()
    assert 'Also covered by: <a href="https://wire.example.com/pact">Wire Service</a>' in page


def test_an_approved_comment_shows_at_the_next_render(client):
    post = ArticleFactory()
    CommentFactory(article=post, author_name="First reader", status="approved")
    assert "First reader" in client.get(post.get_absolute_url()).content.decode()
    CommentFactory(article=post, author_name="Second reader", status="approved")
    page = client.get(post.get_absolute_url()).content.decode()
    assert "First reader" in page and "Second reader" in page and "2 comments" in page


def test_the_post_page_is_rendered_whole_when_the_cache_is_unreachable(client, monkeypatch):
    post = ArticleFactory(title="Harbour reopens")
    CommentFactory(article=post, author_name="First reader", status="approved")

    def unreachable(*args, **kwargs):
        raise RedisError("connection refused")

    monkeypatch.setattr(cache, "get_many", unreachable)
    monkeypatch.setattr(cache, "set_many", unreachable)
    page = client.get(post.get_absolute_url()).content.decode()
    assert "Harbour reopens" in page and "First reader" in page and 'property="og:title"' in page
