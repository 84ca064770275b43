"""What search engines, social sites and assistive technology read from our pages."""

import json
import re

import html5lib
import pytest
from django.test import override_settings

from tests.factories import ArticleFactory, CommentFactory, LabelFactory

pytestmark = pytest.mark.django_db


def _post():
    article = ArticleFactory(
        title='Xi tells Blinken "partners" </script>',
        url="https://ift.tt/1gBO6wd",
        image_url="https://img.example.com/xi.jpg",
        excerpt="Chinese President Xi Jinping told Antony Blinken the two countries should be partners.",
    )
    article.labels.add(LabelFactory())
    CommentFactory(article=article, body="Interesting https://example.com")
    return article


def _json_ld(page: str) -> dict:
    block = re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S)
    return json.loads(block.group(1))


def test_post_page_has_title_description_opengraph_and_twitter_tags(client):
    article = _post()
    page = client.get(article.get_absolute_url()).content.decode()
    assert "<title>Xi tells Blinken &quot;partners&quot; &lt;/script&gt; · newsblog</title>" in page
    assert '<meta name="description" content="Chinese President Xi Jinping' in page
    assert '<meta property="og:type" content="article">' in page
    assert f'<meta property="og:url" content="http://127.0.0.1:8000{article.get_absolute_url()}">' in page
    assert '<meta property="og:image" content="https://img.example.com/xi.jpg">' in page
    assert '<meta name="twitter:card" content="summary_large_image">' in page


def test_post_page_json_ld_is_a_news_article_based_on_the_original(client):
    article = _post()
    page = client.get(article.get_absolute_url()).content.decode()
    data = _json_ld(page)
    assert data["@type"] == "NewsArticle"
    assert data["isBasedOn"] == "https://ift.tt/1gBO6wd"
    assert data["headline"] == article.title
    assert data["sourceOrganization"]["name"] == article.source.name
    assert page.count("</script>") == 1  # the title's "</script>" cannot end the block early


def test_canonical_points_at_the_original_by_default(client):
    article = _post()
    page = client.get(article.get_absolute_url()).content.decode()
    assert '<link rel="canonical" href="https://ift.tt/1gBO6wd">' in page


@override_settings(CANONICAL_TO_ORIGINAL=False)
def test_a_setting_points_canonical_at_our_page(client):
    article = _post()
    page = client.get(article.get_absolute_url()).content.decode()
    assert f'<link rel="canonical" href="http://127.0.0.1:8000{article.get_absolute_url()}">' in page


def test_list_pages_have_their_own_canonical_and_opengraph(client):
    _post()
    page = client.get("/").content.decode()
    assert '<link rel="canonical" href="http://127.0.0.1:8000/">' in page
    assert '<meta property="og:type" content="website">' in page


def _pages(article):
    label = article.labels.first()
    return [
        "/",
        article.get_absolute_url(),
        f"/source/{article.source.slug}/",
        f"/label/{label.slug}/",
        f"/{article.url_year}/",
        "/search?q=Blinken",
        "/search?q=",
        "/no-such-page",
    ]


def test_pages_are_well_formed_html5_with_landmarks_and_one_h1(client):
    article = _post()
    parser = html5lib.HTMLParser(strict=True)
    for url in _pages(article):
        page = client.get(url).content.decode()
        parser.parse(page)  # raises on any HTML5 parse error
        assert page.startswith("<!DOCTYPE html>") and '<html lang="en">' in page, url
        assert '<a class="skip-link" href="#content">' in page
        for landmark in ("<header", "<main", "<aside", "<footer", 'role="search"'):
            assert landmark in page, (url, landmark)
        assert len(re.findall(r"<h1[ >]", page)) == 1, url
        assert all(' alt="' in tag for tag in re.findall(r"<img [^>]*>", page)), url
        assert "<script src" not in page and "https://fonts." not in page


def test_form_fields_have_labels(client):
    article = _post()
    page = client.get(article.get_absolute_url()).content.decode()
    for field in ("author_name", "email", "body"):
        assert f'<label for="id_{field}">' in page
        assert f'id="id_{field}"' in page


@override_settings(SITE_URL="https://news.example.com", CANONICAL_TO_ORIGINAL=False)
def test_canonical_opengraph_and_json_ld_name_site_url_whatever_host_the_request_came_by(client):
    article = _post()
    page = client.get(article.get_absolute_url(), HTTP_HOST="localhost").content.decode()
    ours = "https://news.example.com" + article.get_absolute_url()
    assert f'<link rel="canonical" href="{ours}">' in page
    assert f'<meta property="og:url" content="{ours}">' in page
    assert _json_ld(page)["url"] == ours
    assert "//localhost" not in page
