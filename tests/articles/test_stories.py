"""One story, one post: copies by URL are stored but listed once, answer 301 to their lead, and show on it."""

import json
import re
from datetime import timedelta

import pytest
from django.core.cache import caches

from articles.models import Article
from tests.articles.popularity.helpers import reader_headers, totals
from tests.articles.stories_helpers import FOLLOW_UP, SUMMIT, SUMMIT_BEGINS, entry, html_of, store
from tests.factories import SourceFactory

pytestmark = pytest.mark.django_db

URL = "https://www.example.com/world/summit-ends"


def two_copies(first_priority=0, second_priority=0):
    paper = SourceFactory(name="The Paper", priority=first_priority)
    wire = SourceFactory(name="Wire Service", priority=second_priority)
    store(paper, entry("paper-1", URL))
    store(wire, entry("wire-1", "https://m.example.com/world/summit-ends/amp?utm_source=rss"))
    return Article.objects.get(source=paper), Article.objects.get(source=wire)


def test_the_first_copy_stored_leads_and_the_next_is_its_copy():
    first, second = two_copies()
    assert (first.status, first.story_lead) == ("published", None)
    assert (second.status, second.story_lead) == ("copy", first)


def test_a_copy_from_a_source_with_a_higher_priority_takes_the_lead_with_the_story():
    third_source = SourceFactory(name="Third")
    first, second = two_copies(second_priority=5)
    store(third_source, entry("third-1", URL + "/"))
    first.refresh_from_db(), second.refresh_from_db()
    assert (second.status, second.story_lead) == ("published", None)
    assert (first.status, first.story_lead) == ("copy", second)
    assert Article.objects.get(guid="third-1").story_lead == second


def test_a_lower_priority_copy_never_takes_the_lead():
    first, second = two_copies(first_priority=1, second_priority=0)
    assert (first.status, second.story_lead) == ("published", first)


def test_deleting_the_lead_makes_the_next_copy_by_priority_then_first_stored_the_lead_of_the_others(client):
    paper, wire, agency, late = (SourceFactory(name=n, priority=p) for n, p in [("P", 0), ("W", 0), ("A", 3), ("L", 3)])
    for source, guid, url in [
        (paper, "paper-1", URL),
        (wire, "wire-1", URL + "?utm_source=rss"),
        (agency, "agency-1", URL.replace("www.", "m.")),
        (late, "late-1", URL + "/"),
    ]:
        store(source, entry(guid, url))
    lead = Article.objects.get(story_lead=None, guid__in=["paper-1", "wire-1", "agency-1", "late-1"])
    assert lead.guid == "agency-1"  # the higher priority took the lead when it arrived
    lead.delete()
    posts = {post.guid: post for post in Article.objects.all()}
    # Of the rest, priority 3 (late) outranks the first stored (paper): it leads, published, and the others follow.
    assert (posts["late-1"].status, posts["late-1"].story_lead) == ("published", None)
    assert {(posts[g].status, posts[g].story_lead_id) for g in ("paper-1", "wire-1")} == {("copy", posts["late-1"].pk)}
    assert client.get(posts["paper-1"].get_absolute_url()).url == posts["late-1"].get_absolute_url()


def test_deleting_a_lead_s_source_leaves_the_first_stored_copy_leading_the_story():
    paper, wire, agency = (SourceFactory(name=name) for name in ("P", "W", "A"))
    for source, guid in [(paper, "paper-1"), (wire, "wire-1"), (agency, "agency-1")]:
        store(source, entry(guid, URL))
    paper.delete()
    posts = {post.guid: post for post in Article.objects.all()}
    assert (posts["wire-1"].status, posts["wire-1"].story_lead) == ("published", None)
    assert (posts["agency-1"].status, posts["agency-1"].story_lead) == ("copy", posts["wire-1"])


def test_the_story_is_listed_once_on_the_home_page_source_pages_search_and_our_feeds(client):
    first, second = two_copies()
    for path in ("/", f"/source/{second.source.slug}/", "/rss.xml", "/feeds/posts/default", "/search?q=summit"):
        page = client.get(path).content.decode()
        assert page.count(second.get_absolute_url()) == 0, path
    assert client.get("/").content.decode().count(first.get_absolute_url()) == 1


def test_a_copy_s_address_answers_301_to_its_lead(client):
    first, second = two_copies()
    response = client.get(second.get_absolute_url())
    assert response.status_code == 301 and response["Location"] == first.get_absolute_url()


def test_an_address_that_is_no_post_is_still_a_404(client):
    first, _ = two_copies()
    assert client.get(first.get_absolute_url().replace(".html", "-nope.html")).status_code == 404


def test_the_lead_s_page_names_every_other_copy_with_a_link_to_its_original(client):
    first, second = two_copies()
    page = client.get(first.get_absolute_url()).content.decode()
    also = re.search(r'<p class="also-covered">(.*?)</p>', page).group(1)
    assert "Also covered by:" in also and f'href="{second.url}">Wire Service</a>' in also.replace("&amp;", "&")
    data = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S).group(1))
    assert [(c["url"], c["sourceOrganization"]["name"]) for c in data["citation"]] == [(second.url, "Wire Service")]


def test_our_feeds_carry_also_covered_by(client):
    _, second = two_copies()
    rss = client.get("/rss.xml").content.decode()
    assert "Also covered by:" in rss and "Wire Service" in rss
    atom = client.get("/feeds/posts/default").content.decode()
    assert 'rel="related"' in atom and "Also covered by Wire Service" in atom


def test_a_post_of_its_own_shows_no_also_covered_by(client):
    lonely = SourceFactory()
    store(lonely, entry("alone", "https://example.org/alone"))
    page = client.get(Article.objects.get().get_absolute_url()).content.decode()
    assert "Also covered by" not in page


def test_a_cached_lead_page_shows_a_copy_as_soon_as_it_arrives(client, django_capture_on_commit_callbacks):
    paper, wire = SourceFactory(), SourceFactory(name="Wire Service")
    with django_capture_on_commit_callbacks(execute=True):
        store(paper, entry("paper-1", URL))
    lead = Article.objects.get()
    assert "Also covered by" not in client.get(lead.get_absolute_url()).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        store(wire, entry("wire-1", URL + "?outputType=amp"))
    assert "Also covered by" in client.get(lead.get_absolute_url()).content.decode()


def test_an_update_from_upstream_keeps_the_copy_in_its_story():
    _, second = two_copies()
    store(second.source, entry("wire-1", "https://elsewhere.example.net/other", title="Summit ends (updated)"))
    second.refresh_from_db()
    assert second.title == "Summit ends (updated)" and second.status == "copy" and second.story_lead is not None


def test_the_same_guid_polled_again_is_not_stored_twice():
    first, second = two_copies()
    store(second.source, entry("wire-1", "https://m.example.com/world/summit-ends/amp?utm_source=rss"))
    assert Article.objects.count() == 2


class TestViewsCountOnTheLead:
    """Embedded default, so the view lands in the database at once."""

    @pytest.fixture(autouse=True)
    def _embedded(self, settings):
        settings.REDIS_URL = ""
        settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
        caches["default"].clear()

    def test_a_reader_of_a_copy_s_address_is_counted_on_the_lead(self, client):
        first, second = two_copies()
        response = client.get(second.get_absolute_url(), follow=True, **reader_headers(1))
        assert response.redirect_chain == [(first.get_absolute_url(), 301)] and response.status_code == 200
        assert totals(first)[0] == 1 and totals(second)[0] == 0


class TestNearDuplicateText:
    """Wire copy under other addresses: found by its words, within 72 hours, and never a different story."""

    def lead(self):
        store(SourceFactory(name="The Paper"), entry("paper", "https://paper.example/a/1", body=html_of(SUMMIT)))
        return Article.objects.get(guid="paper")

    def test_the_same_article_with_another_headline_a_dropped_paragraph_and_a_credit_joins_the_story(self):
        lead = self.lead()
        edited = SUMMIT[:-1] + ["Additional reporting by Ana Costa in Porto."]
        store(
            SourceFactory(name="Wire"),
            entry(
                "wire", "https://wire.example/x?id=77", title="Twelve nations agree river pact", body=html_of(edited)
            ),
        )
        assert Article.objects.get(guid="wire").story_lead == lead

    def test_a_different_event_on_the_same_topic_stays_its_own_story(self):
        self.lead()
        store(SourceFactory(), entry("other", "https://wire.example/x?id=78", body=html_of(SUMMIT_BEGINS)))
        assert Article.objects.get(guid="other").story_lead is None

    def test_a_copy_published_more_than_72_hours_apart_stays_its_own_story(self):
        lead = self.lead()
        later = lead.published_at + timedelta(hours=73)
        store(SourceFactory(), entry("late", "https://late.example/a", body=html_of(SUMMIT), published_at=later))
        assert Article.objects.get(guid="late").story_lead is None

    def test_one_source_s_own_posts_with_nearly_the_same_words_stay_apart(self):
        lead = self.lead()
        store(lead.source, entry("again", "https://paper.example/a/2", body=html_of(SUMMIT[:4])))
        assert Article.objects.get(guid="again").story_lead is None

    def test_a_short_text_is_never_matched_by_its_words(self):
        store(
            SourceFactory(), entry("s1", "https://one.example/a", title="Brief", body="<p>Markets closed higher.</p>")
        )
        store(
            SourceFactory(), entry("s2", "https://two.example/b", title="Brief", body="<p>Markets closed higher.</p>")
        )
        assert not Article.objects.filter(status="copy").exists()

    def test_a_later_story_repeating_background_paragraphs_shares_bands_but_stays_its_own_story(self):
        self.lead()
        store(SourceFactory(), entry("follow", "https://wire.example/x?id=79", body=html_of(FOLLOW_UP)))
        assert Article.objects.get(guid="follow").story_lead is None


def test_popular_and_trending_list_a_merged_story_once():
    from articles.popularity import popular, trending
    from articles.stories.editing import story_merge
    from tests.factories import ArticleDailyViewsFactory

    paper, wire = SourceFactory(), SourceFactory()
    store(paper, entry("a", "https://paper.example/a", title="Summit ends", body="<p>One.</p>"))
    store(wire, entry("b", "https://wire.example/b", title="Summit over", body="<p>Two.</p>"))
    first, second = Article.objects.get(guid="a"), Article.objects.get(guid="b")
    for post in (first, second):
        ArticleDailyViewsFactory(article=post, views=10)
    story_merge(lead=first, ids=[first.pk, second.pk])
    assert [post.pk for post in popular("7d", 5)] == [first.pk]
    assert [post.pk for post in trending(5)] == [first.pk]


def test_a_featured_lead_keeps_the_lead_when_a_higher_priority_copy_arrives():
    paper = SourceFactory()
    store(paper, entry("paper-1", URL))
    Article.objects.filter(guid="paper-1").update(is_featured=True)
    store(SourceFactory(priority=5), entry("wire-1", URL + "?amp=1"))
    lead = Article.objects.get(guid="paper-1")
    assert lead.story_lead is None and Article.objects.get(guid="wire-1").story_lead == lead
