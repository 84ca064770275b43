from django.conf import settings
from django.urls import path

from operations.health import healthz, healthz_live
from operations.metrics import metrics

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("healthz/ready", healthz, name="healthz-ready"),
    path("healthz/live", healthz_live, name="healthz-live"),
    *([path("metrics", metrics, name="metrics")] if settings.METRICS_ENABLED else []),
]
