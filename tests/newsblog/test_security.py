import pytest

from tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db


def test_every_page_sends_the_security_headers(client):
    article = ArticleFactory()
    for url in ["/", article.get_absolute_url(), "/search?q=x", "/rss.xml", "/no-such-page"]:
        response = client.get(url)
        csp = response["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp, url
        assert "frame-ancestors 'none'" in csp
        assert "frame-src https://www.youtube.com https://youtube.com https://www.youtube-nocookie.com" in csp
        assert "https://player.vimeo.com" in csp
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"
        assert response["X-Frame-Options"] == "DENY"


def test_cached_pages_keep_the_security_headers(client):
    ArticleFactory()
    client.get("/")
    response = client.get("/")
    assert "Content-Security-Policy" in response and response["X-Frame-Options"] == "DENY"
