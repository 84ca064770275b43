"""Story identity by URL: the copies of one article that feeds link to fold into one key; other pages never do."""

import pytest

from feeds.ingest.identity import story_key, story_url

ARTICLE = "https://example.com/world/2026/12/01/summit-ends"


@pytest.mark.parametrize(
    "copy",
    [
        "HTTPS://EXAMPLE.COM/world/2026/12/01/summit-ends",  # scheme and host case
        "http://example.com/world/2026/12/01/summit-ends",  # http and https
        "https://www.example.com/world/2026/12/01/summit-ends",  # www.
        "https://m.example.com/world/2026/12/01/summit-ends",  # mobile host
        "https://amp.example.com/world/2026/12/01/summit-ends",  # AMP host
        "https://example.com/world/2026/12/01/summit-ends/amp",  # /amp suffix
        "https://example.com/world/2026/12/01/summit-ends/amp/",
        "https://example.com/world/2026/12/01/summit-ends.amp",
        "https://example.com/world/2026/12/01/summit-ends?outputType=amp",  # AMP parameter
        "https://example.com/world/2026/12/01/summit-ends?amp=1",
        "https://example.com/world/2026/12/01/summit-ends?amp",
        "https://example.com/world/2026/12/01/summit-ends?utm_source=rss&utm_medium=feed",  # tracking (ingest's list)
        "https://example.com/world/2026/12/01/summit-ends?fbclid=abc&gclid=1",
        "https://example.com:443/world/2026/12/01/summit-ends",  # default port
        "http://example.com:80/world/2026/12/01/summit-ends",
        "https://example.com/world/2026/12/01/summit-ends/",  # trailing slash
        "https://example.com/world/2026/12/01/summit-ends#comments",  # fragment
        "https://www.example.com:443/world/2026/12/01/summit-ends/amp/?outputType=amp&utm_campaign=x#top",
    ],
)
def test_every_edition_and_tracking_variant_of_an_article_has_its_key(copy):
    assert story_url(copy) == ARTICLE
    assert story_key(copy) == story_key(ARTICLE) and len(story_key(copy)) == 32


@pytest.mark.parametrize(
    "other",
    [
        "https://example.com/world/2026/12/01/summit-begins",  # another path
        "https://example.org/world/2026/12/01/summit-ends",  # another site
        "https://news.example.com/world/2026/12/01/summit-ends",  # another host of the site: not an edition
        "https://example.com:8443/world/2026/12/01/summit-ends",  # another port
        "https://example.com/world/2026/12/01/summit-ends?page=2",  # a parameter that picks content
        "https://example.com/world/2026/12/01/summit-ends-amp",  # "amp" inside a word is no suffix
    ],
)
def test_another_page_never_shares_the_key(other):
    assert story_key(other) != story_key(ARTICLE)


def test_parameters_that_pick_content_are_kept_in_any_order():
    assert story_key("https://example.com/a?id=1&lang=en") == story_key("https://example.com/a?lang=en&id=1")
    assert story_key("https://example.com/a?id=1") != story_key("https://example.com/a?id=2")


def test_a_two_label_host_starting_with_m_is_a_site_of_its_own():
    assert story_url("https://m.com/story") == "https://m.com/story"


def test_the_page_s_canonical_link_wins_over_the_entry_s_link():
    key = story_key("https://feeds.example.net/r/abc123", canonical="https://www.example.com/world/summit-ends/")
    assert key == story_key("https://example.com/world/summit-ends")


@pytest.mark.parametrize(
    "bad", ["", "not a url", "ftp://example.com/a", "https:///nohost", "https://example.com:99999/"]
)
def test_an_address_that_names_no_article_has_no_key(bad):
    assert story_key(bad) == ""
