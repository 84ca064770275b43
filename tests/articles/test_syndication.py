import feedparser
import pytest
from django.conf import settings
from django.utils import timezone

from tests.factories import ArticleFactory, LabelFactory

pytestmark = pytest.mark.django_db


def _parse(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    return response, feedparser.parse(response.content)


@pytest.mark.parametrize(("url", "version"), [("/feeds/posts/default", "atom10"), ("/rss.xml", "rss20")])
def test_site_feeds_parse_cleanly_with_the_latest_25_posts_and_attribution(client, url, version):
    ArticleFactory.create_batch(26, title="Tricky <title> & “quotes”")
    newest = ArticleFactory(
        title="Newest", url="https://origin.example.com/a?x=1&y=2", author="Jo", published_at=timezone.now()
    )
    newest.labels.add(LabelFactory(name="World"))
    response, feed = _parse(client, url)
    assert feed.bozo == 0, feed.get("bozo_exception")
    assert feed.version == version
    assert len(feed.entries) == 25
    entry = feed.entries[0]
    assert entry.title == "Newest"
    assert entry.link == settings.SITE_URL + newest.get_absolute_url()
    # The post page's attribution line, word for word.
    assert f">{newest.source.name}</a>" in entry.summary and entry.summary.count("from <a href=") == 1
    assert '<a href="https://origin.example.com/a?x=1&amp;y=2">original article</a>' in entry.summary
    assert [tag.term for tag in entry.tags] == ["World"]
    assert feed.entries[1].title == "Tricky <title> & “quotes”"


def test_atom_entries_link_to_the_original_with_rel_via(client):
    article = ArticleFactory(url="https://origin.example.com/story")
    _, feed = _parse(client, "/feeds/posts/default")
    links = {link.rel: link.href for link in feed.entries[0].links}
    assert links["via"] == article.url


def test_rss_items_name_their_source(client):
    article = ArticleFactory()
    _, feed = _parse(client, "/rss.xml")
    assert feed.entries[0].source.title == article.source.name


def test_per_source_and_per_label_feeds(client):
    label = LabelFactory(slug="science")
    mine = ArticleFactory(title="Mine")
    mine.labels.add(label)
    ArticleFactory(title="Other")
    slug = mine.source.slug
    urls = [
        f"/feeds/source/{slug}",
        f"/source/{slug}/rss.xml",
        "/feeds/posts/default/-/science",
        "/label/science/rss.xml",
    ]
    for url in urls:
        _, feed = _parse(client, url)
        assert feed.bozo == 0, (url, feed.get("bozo_exception"))
        assert [entry.title for entry in feed.entries] == ["Mine"], url
    assert client.get("/feeds/source/nope").status_code == 404


def test_pages_announce_their_feeds_in_head(client):
    article = ArticleFactory()
    home = client.get("/").content.decode()
    assert '<link rel="alternate" type="application/atom+xml"' in home and 'href="/feeds/posts/default"' in home
    assert 'type="application/rss+xml"' in home and 'href="/rss.xml"' in home
    source_page = client.get(f"/source/{article.source.slug}/").content.decode()
    assert f'href="/feeds/source/{article.source.slug}"' in source_page


@pytest.mark.parametrize("kind", ["rss", "atom"])
@pytest.mark.parametrize("scope", ["site", "source", "label"])
def test_feeds_link_to_site_url_whatever_host_the_request_came_by(client, settings, kind, scope):
    settings.SITE_URL = "https://news.example.com"
    article = ArticleFactory(url="https://origin.example.com/story")
    label = LabelFactory(slug="world")
    article.labels.add(label)
    urls = {
        ("site", "rss"): "/rss.xml",
        ("site", "atom"): "/feeds/posts/default",
        ("source", "rss"): f"/source/{article.source.slug}/rss.xml",
        ("source", "atom"): f"/feeds/source/{article.source.slug}",
        ("label", "rss"): "/label/world/rss.xml",
        ("label", "atom"): "/feeds/posts/default/-/world",
    }
    url = urls[scope, kind]
    response = client.get(url, HTTP_HOST="localhost")
    body = response.content.decode()
    assert "localhost" not in body
    feed = feedparser.parse(response.content)
    assert feed.feed.link.startswith("https://news.example.com/")
    assert feed.entries[0].link == "https://news.example.com" + article.get_absolute_url()
    assert f'href="https://news.example.com{url}" rel="self"' in body
