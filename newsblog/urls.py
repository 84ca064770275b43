from django.conf import settings
from django.contrib import admin
from django.http import HttpResponse
from django.urls import include, path

from newsblog.health import healthz, healthz_live
from newsblog.metrics.views import metrics


def bench_trivial(request):
    """The benchmark's baseline: the same process and middleware, no template, no query."""
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("healthz/ready", healthz, name="healthz-ready"),
    path("healthz/live", healthz_live, name="healthz-live"),
    *([path("metrics", metrics, name="metrics")] if settings.METRICS_ENABLED else []),
    path("websub/", include("feeds.websub.urls")),
    path("", include("articles.urls")),
]
handler403 = "newsblog.errors.permission_denied"
if settings.BENCH_TRIVIAL_VIEW:
    urlpatterns.append(path("_bench/trivial", bench_trivial))
