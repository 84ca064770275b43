"""/sitemap.xml: the home page, every published post, every source and label page."""

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.sitemaps import Sitemap as DjangoSitemap
from django.db.models import Exists, OuterRef
from django.urls import reverse

from articles.models import Article, Label
from feeds.models import Source


class Sitemap(DjangoSitemap):
    """Locations on SITE_URL's scheme and host, never on the Host a request happened to use (the render is cached)."""

    def get_protocol(self, protocol=None):
        return urlsplit(settings.SITE_URL).scheme

    def get_domain(self, site=None):
        return urlsplit(settings.SITE_URL).netloc


class HomeSitemap(Sitemap):
    changefreq = "hourly"
    priority = 1.0

    def items(self):
        return ["articles:home"]

    def location(self, item):
        return reverse(item)


class PostSitemap(Sitemap):
    changefreq = "weekly"
    priority = 0.8

    def items(self):
        posts = Article.objects.published().exclude(source__noindex=True)
        return posts.newest_first().only("slug", "url_year", "url_month", "updated_at")

    def lastmod(self, item):
        return item.updated_at


class SourceSitemap(Sitemap):
    changefreq = "daily"
    priority = 0.4

    def items(self):
        return Source.objects.filter(Exists(Article.objects.published().filter(source=OuterRef("pk")))).only("slug")

    def location(self, item):
        return reverse("articles:source", args=[item.slug])


class LabelSitemap(Sitemap):
    changefreq = "daily"
    priority = 0.4

    def items(self):
        return Label.objects.filter(Exists(Article.objects.published().filter(labels=OuterRef("pk"))))


SITEMAPS = {"home": HomeSitemap, "posts": PostSitemap, "sources": SourceSitemap, "labels": LabelSitemap}
