from django.conf import settings
from django.contrib import admin
from django.http import HttpResponse
from django.urls import include, path


def bench_trivial(request):
    """The benchmark's baseline: the same process and middleware, no template, no query."""
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("operations.urls")),
    path("websub/", include("feeds.websub.urls")),
    path("", include("articles.urls")),
]
handler403 = "operations.errors.permission_denied"
if settings.BENCH_TRIVIAL_VIEW:
    urlpatterns.append(path("_bench/trivial", bench_trivial))
