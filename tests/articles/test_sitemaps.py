import xml.etree.ElementTree as ET

import pytest

from articles.models import Article
from tests.factories import ArticleFactory, LabelFactory

pytestmark = pytest.mark.django_db
NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def test_sitemap_lists_home_published_posts_sources_and_labels(client):
    article = ArticleFactory()
    article.labels.add(LabelFactory(slug="world"))
    hidden = ArticleFactory(status=Article.Status.HIDDEN)
    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    locations = {loc.text for loc in ET.fromstring(response.content).iter(f"{NS}loc")}  # noqa: S314 - our own output
    assert "http://testserver/" in locations
    assert "http://testserver" + article.get_absolute_url() in locations
    assert f"http://testserver/source/{article.source.slug}/" in locations
    assert "http://testserver/label/world/" in locations
    assert "http://testserver" + hidden.get_absolute_url() not in locations
