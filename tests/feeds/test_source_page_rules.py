"""Per-source rules on what posts look like: removed elements, canonical link, noindex, the author shown."""

import json
import re

import pytest

from articles.models import Article
from feeds.models import Source
from tests.factories import ArticleFactory, SourceFactory
from tests.feeds.rss import rss
from tests.feeds.test_republishing_rules import SOURCES, _change_data, poll
from tests.operations.desk import editor_client

pytestmark = pytest.mark.django_db
CLUTTERED = (
    '<p>The story.</p><div class="share-bar">Share this</div><p>More story.</p>'
    '<aside class="related"><a href="/other">Related: other story</a></aside><div id="ad-1">Buy now</div>'
)


def test_remove_selectors_cut_share_bars_related_boxes_and_ads_before_storing(feed_server):
    items = [{"guid": "s1", "title": "Story", "content": CLUTTERED}]
    source = SourceFactory(
        feed_url=feed_server.serve("/feed.xml", rss(*items)), remove_selectors=".share-bar\naside.related\n#ad-1"
    )
    poll(source)
    body = Article.objects.get(source=source).body_html
    assert "The story." in body and "More story." in body
    assert "Share this" not in body and "Related" not in body and "Buy now" not in body


def test_a_selector_cssselect_cannot_read_is_refused_in_the_form_and_skipped_at_poll_time(client, feed_server):
    items = [{"guid": "s1", "title": "Story", "content": CLUTTERED}]
    source = SourceFactory(feed_url=feed_server.serve("/feed.xml", rss(*items)), remove_selectors="div[\n.share-bar")
    poll(source)
    body = Article.objects.get(source=source).body_html
    assert "Share this" not in body and "Related" in body
    source.refresh_from_db()
    assert source.rules_error == "remove selector div[: Expected ident or '*', got <EOF at 4>"

    data = _change_data(source, remove_selectors=source.remove_selectors)
    page = editor_client(client).post(f"{SOURCES}{source.pk}/change/", data)
    assert "Not a valid CSS selector, div[: Expected ident or &#x27;*&#x27;, got &lt;EOF at 4&gt;" in (
        page.content.decode()
    )


def _post_page(client, **source_fields) -> tuple[Article, str]:
    post = ArticleFactory(source=SourceFactory(name="Gazette", **source_fields), author="Mara Lind")
    response = client.get(post.get_absolute_url())
    assert response.status_code == 200
    return post, response.content.decode()


def _canonical(page: str) -> str:
    return re.search(r'<link rel="canonical" href="([^"]+)"', page).group(1)


def test_canonical_link_names_the_original_or_our_page_per_source(client):
    post, page = _post_page(client, canonical_to_original=True)
    assert _canonical(page) == post.url
    post, page = _post_page(client, canonical_to_original=False)
    assert _canonical(page).endswith(post.get_absolute_url()) and _canonical(page) != post.url


def test_a_new_sources_canonical_setting_follows_the_site_wide_one(settings):
    settings.CANONICAL_TO_ORIGINAL = False
    assert Source(name="x").canonical_to_original is False
    settings.CANONICAL_TO_ORIGINAL = True
    assert Source(name="y").canonical_to_original is True


def test_noindex_sources_posts_say_noindex_and_stay_out_of_the_sitemap(client):
    hidden = ArticleFactory(source=SourceFactory(noindex=True), title="Not for search")
    shown = ArticleFactory(source=SourceFactory(), title="For search")
    page = client.get(hidden.get_absolute_url()).content.decode()
    assert '<meta name="robots" content="noindex">' in page
    assert 'name="robots"' not in client.get(shown.get_absolute_url()).content.decode()
    sitemap = client.get("/sitemap.xml").content.decode()
    assert shown.get_absolute_url() in sitemap and hidden.get_absolute_url() not in sitemap


@pytest.mark.parametrize(
    "author_mode, shown",
    [("upstream", "Mara Lind"), ("source", "Gazette"), ("The Desk", "The Desk")],
)
def test_author_mode_decides_the_author_in_the_post_meta_and_json_ld(client, author_mode, shown):
    _post, page = _post_page(client, author_mode=author_mode)
    assert f"· by {shown}" in page
    ld = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.DOTALL).group(1))
    assert ld["author"]["name"] == shown
