"""Post cards are rendered once and read from the cache, yet every change a reader could see shows at once."""

import pytest
from django.core.cache import cache
from redis import RedisError

from articles.models import Article
from articles.templatetags.cards import CARD_TEMPLATE
from feeds.models import Source
from tests.articles.pages import main_column
from tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _every_page_rendered(settings):
    settings.PAGE_CACHE_SECONDS = 0


def card_renders(response) -> int:
    return sum(template.name == CARD_TEMPLATE for template in response.templates)


def test_a_list_renders_its_cards_once_then_reads_them_from_the_cache(client):
    ArticleFactory.create_batch(3, title="Harbour reopens")
    first, second = client.get("/"), client.get("/")
    assert card_renders(first) == 3 and card_renders(second) == 0
    assert main_column(first) == main_column(second)
    assert main_column(second).count("Harbour reopens") == 3


def test_cards_are_rendered_when_the_cache_is_unreachable(client, monkeypatch):
    ArticleFactory(title="Harbour reopens")

    def unreachable(*args, **kwargs):
        raise RedisError("connection refused")

    monkeypatch.setattr(cache, "get_many", unreachable)
    monkeypatch.setattr(cache, "set_many", unreachable)
    assert "Harbour reopens" in main_column(client.get("/"))


@pytest.mark.parametrize(
    "change",
    [
        {"title": "Ferry strike called off"},
        {"excerpt": "A new summary of the ferry strike."},
        {"is_featured": True},
    ],
    ids=["title", "excerpt", "featured"],
)
def test_a_changed_post_shows_its_new_card_at_once(client, change):
    post = ArticleFactory(title="Ferry strike", excerpt="The ferry strike goes on.")
    main_column(client.get("/"))
    # update() leaves updated_at alone, as the admin's bulk actions do: the card must still follow.
    Article.objects.filter(pk=post.pk).update(**change)
    page = main_column(client.get("/"))
    shown = "Featured" if change.get("is_featured") else next(iter(change.values()))
    assert shown in page


def test_a_renamed_source_shows_on_its_posts_cards(client):
    post = ArticleFactory()
    main_column(client.get("/"))
    Source.objects.filter(pk=post.source_id).update(name="The Harbour Gazette")
    assert "The Harbour Gazette" in main_column(client.get("/"))


def test_a_changed_card_template_gives_every_card_a_new_key(monkeypatch):
    from articles.templatetags import cards

    post = ArticleFactory(title="Harbour reopens")
    old_key = cards.card_key(post)

    class NewTemplate:
        class template:  # noqa: N801 - the shape of a backend template
            source = "<article>{{ post.title }} in the new card</article>"

    monkeypatch.setattr(cards, "get_template", lambda name: NewTemplate)
    cards.template_version.cache_clear()
    try:
        assert cards.card_key(post) != old_key
    finally:
        cards.template_version.cache_clear()
