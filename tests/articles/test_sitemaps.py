import xml.etree.ElementTree as ET

import pytest

from articles.models import Article
from tests.factories import ArticleFactory, LabelFactory

pytestmark = pytest.mark.django_db
NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def test_sitemap_lists_home_published_posts_sources_and_labels(client, settings):
    settings.SITE_URL = "https://news.example.com"
    article = ArticleFactory()
    article.labels.add(LabelFactory(slug="world"))
    hidden = ArticleFactory(status=Article.Status.HIDDEN)
    response = client.get("/sitemap.xml", HTTP_HOST="localhost")
    assert response.status_code == 200
    locations = {loc.text for loc in ET.fromstring(response.content).iter(f"{NS}loc")}  # noqa: S314 - our own output
    assert "https://news.example.com/" in locations
    assert "https://news.example.com" + article.get_absolute_url() in locations
    assert f"https://news.example.com/source/{article.source.slug}/" in locations
    assert "https://news.example.com/label/world/" in locations
    assert "https://news.example.com" + hidden.get_absolute_url() not in locations
