"""GET /metrics: every metric in Prometheus's text format, for allowed networks or a bearer token only."""

import ipaddress
import secrets

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from newsblog.metrics import scrape_registry
from operations.client import client_address
from operations.site_state import SiteStateCollector

REFUSED = "Metrics are answered only to the networks in METRICS_ALLOWED_NETWORKS or with the METRICS_TOKEN.\n"


def scrape_allowed(request: HttpRequest) -> bool:
    """The client is in METRICS_ALLOWED_NETWORKS, or sent `Authorization: Bearer <METRICS_TOKEN>`."""
    token = settings.METRICS_TOKEN
    sent = request.META.get("HTTP_AUTHORIZATION", "")
    if token and secrets.compare_digest(sent.encode(), f"Bearer {token}".encode()):
        return True
    try:
        address = ipaddress.ip_address(client_address(request).split("%", 1)[0])
    except ValueError:
        return False
    if address.version == 6 and address.ipv4_mapped:
        address = address.ipv4_mapped
    return any(address in network for network in settings.METRICS_ALLOWED_NETWORKS)


class _Scrape:
    """The processes' metrics and the site's state, read as one registry."""

    def collect(self):
        yield from scrape_registry().collect()
        yield from SiteStateCollector().collect()


@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus text format; 403 to anyone not allowed (the numbers describe the site's insides)."""
    if not scrape_allowed(request):
        return HttpResponse(REFUSED, status=403, content_type="text/plain; charset=utf-8")
    return HttpResponse(generate_latest(_Scrape()), content_type=CONTENT_TYPE_LATEST)
