"""Our own feeds: the latest posts as Atom (Blogger's paths) and RSS 2.0, site-wide, per source, per label."""

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed

from articles.models import Article, Label
from articles.stories import also_covered_by, copies_prefetch
from feeds.models import Source

FEED_SIZE = 25


class AttributedRssFeed(Rss201rev2Feed):
    """RSS 2.0 whose items name the feed they came from in <source url="...">."""

    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, item)
        handler.addQuickElement("source", item["source_name"], {"url": item["source_feed_url"]})


class AttributedAtomFeed(Atom1Feed):
    """Atom whose entries link to the original article with rel="via"."""

    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, item)
        handler.addQuickElement("link", "", {"rel": "via", "href": item["original_url"]})
        for name, url in item["also_covered_by"]:
            handler.addQuickElement("link", "", {"rel": "related", "href": url, "title": f"Also covered by {name}"})


def site_url(path: str) -> str:
    """Our page's address on SITE_URL: a feed read anywhere links to the one canonical origin, never to the
    Host a request happened to use (its render is cached and served to every reader)."""
    return settings.SITE_URL + path


class LatestPosts(Feed):
    """The latest 25 published posts, each ending with its "from <Source> <link>" line."""

    feed_type = AttributedRssFeed
    description_template = "articles/feed_item.html"
    feed_url_name = "articles:rss"

    def title(self, obj=None):
        return settings.SITE_NAME

    def link(self, obj=None):
        return site_url(reverse("articles:home"))

    def feed_url(self, obj=None):
        return site_url(reverse(self.feed_url_name))

    def description(self, obj=None):
        return f"The latest posts on {settings.SITE_NAME}, each linking to its original."

    def posts(self, obj):
        return Article.objects.published()

    def items(self, obj=None):
        posts = self.posts(obj).with_source().prefetch_related("labels", copies_prefetch())
        return posts.newest_first()[:FEED_SIZE]

    def item_title(self, item):
        return item.title

    def item_link(self, item):
        return site_url(item.get_absolute_url())

    def item_author_name(self, item):
        return item.byline or item.source.name

    def item_pubdate(self, item):
        return item.published_at

    def item_updateddate(self, item):
        return item.updated_at

    def item_categories(self, item):
        return [label.name for label in item.labels.all()]

    def item_guid(self, item):
        return site_url(item.get_absolute_url())

    def item_extra_kwargs(self, item):
        return {
            "source_name": item.source.name,
            "source_feed_url": item.source.feed_url,
            "original_url": item.url,
            "also_covered_by": [(copy.source.name, copy.url) for copy in also_covered_by(item)],
        }


class LatestPostsAtom(LatestPosts):
    feed_type = AttributedAtomFeed
    feed_url_name = "articles:atom"
    subtitle = LatestPosts.description


class _OneObjectsPosts(LatestPosts):
    """The latest posts of one source or label, looked up by slug."""

    model = None
    page_url_name = ""
    describe = ""

    def get_object(self, request, slug):
        return get_object_or_404(self.model, slug=slug)

    def title(self, obj=None):
        return f"{settings.SITE_NAME}: {obj.name}"

    def link(self, obj=None):
        return site_url(reverse(self.page_url_name, args=[obj.slug]))

    def feed_url(self, obj=None):
        return site_url(reverse(self.feed_url_name, args=[obj.slug]))

    def description(self, obj=None):
        return self.describe.format(name=obj.name, site=settings.SITE_NAME)

    def posts(self, obj):
        return obj.articles.published()


class SourcePosts(_OneObjectsPosts):
    feed_url_name = "articles:source_rss"
    model = Source
    page_url_name = "articles:source"
    describe = "The latest posts from {name} on {site}."


class SourcePostsAtom(SourcePosts):
    feed_url_name = "articles:source_atom"
    feed_type = AttributedAtomFeed
    subtitle = SourcePosts.description


class LabelPosts(_OneObjectsPosts):
    feed_url_name = "articles:label_rss"
    model = Label
    page_url_name = "articles:label"
    describe = "The latest posts labelled {name} on {site}."


class LabelPostsAtom(LabelPosts):
    feed_url_name = "articles:label_atom"
    feed_type = AttributedAtomFeed
    subtitle = LabelPosts.description
