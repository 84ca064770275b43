from django.contrib.sitemaps.views import sitemap
from django.urls import path, register_converter

from articles import syndication, views
from articles.pagecache import cached_page
from articles.sitemaps import SITEMAPS


class TwoDigitMonth:
    regex = "0[1-9]|1[0-2]"

    def to_python(self, value):
        return int(value)

    def to_url(self, value):
        return f"{int(value):02d}"


class FourDigitYear:
    regex = "[1-9][0-9]{3}"

    def to_python(self, value):
        return int(value)

    def to_url(self, value):
        return f"{int(value):04d}"


register_converter(TwoDigitMonth, "mm")
register_converter(FourDigitYear, "yyyy")

app_name = "articles"
urlpatterns = [
    path("", views.home, name="home"),
    path("trending/", views.trending_page, name="trending"),
    path("<yyyy:year>/<mm:month>/<slug:slug>.html", views.article_detail, name="detail"),
    path("<yyyy:year>/", views.year_archive, name="year"),
    path("<yyyy:year>/<mm:month>/", views.month_archive, name="month"),
    path("source/<slug:slug>/", views.source_posts, name="source"),
    path("label/<slug:slug>/", views.label_posts, name="label"),
    path("search", views.search, name="search"),
    path("subscribe/", views.subscribe, name="subscribe"),
    # Blogger's paths for Atom, so readers moving from the old blog keep their subscriptions.
    path("feeds/posts/default", cached_page(syndication.LatestPostsAtom()), name="atom"),
    path("feeds/posts/default/-/<slug:slug>", cached_page(syndication.LabelPostsAtom()), name="label_atom"),
    path("feeds/source/<slug:slug>", cached_page(syndication.SourcePostsAtom()), name="source_atom"),
    path("rss.xml", cached_page(syndication.LatestPosts()), name="rss"),
    path("label/<slug:slug>/rss.xml", cached_page(syndication.LabelPosts()), name="label_rss"),
    path("source/<slug:slug>/rss.xml", cached_page(syndication.SourcePosts()), name="source_rss"),
    path("sitemap.xml", cached_page(sitemap), {"sitemaps": SITEMAPS}, name="sitemap"),
    path("robots.txt", views.robots_txt, name="robots"),
    # Browsers ask for /favicon.ico whatever the page says (the admin's pages say nothing).
    path("favicon.ico", views.favicon),
]
