from django.urls import path, register_converter

from articles import popular_views, views


class TwoDigitMonth:
    regex = "0[1-9]|1[0-2]"

    def to_python(self, value):
        return int(value)

    def to_url(self, value):
        return f"{int(value):02d}"


register_converter(TwoDigitMonth, "mm")

app_name = "articles"
urlpatterns = [
    path("", views.home, name="home"),
    path("trending/", popular_views.trending_page, name="trending"),
    path("<int:year>/<mm:month>/<slug:slug>.html", views.article_detail, name="detail"),
]
