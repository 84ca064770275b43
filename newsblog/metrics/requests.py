"""Request metrics: responses by status, view and method, and latency by view and method (django-prometheus's).

django-prometheus's own pair of middlewares updates about thirteen metrics a request (requests by transport,
method, body size, template, charset, ...), which cost a cached page 14-17% of its req/s here
(bench/pages.py --metrics-cost). This one middleware records the two an operator alerts and graphs on, into
django-prometheus's own metric objects and names, and reuses each labelled child instead of looking it up.
"""

import time

from django_prometheus.middleware import Metrics

# As django-prometheus names them; any other method is counted as one, so a client cannot add label values.
KNOWN_METHODS = {"GET", "HEAD", "POST", "PUT", "DELETE", "TRACE", "OPTIONS", "CONNECT", "PATCH"}
UNNAMED_VIEW = "<unnamed view>"
INVALID_METHOD = "<invalid method>"


class RequestMetricsMiddleware:
    """Outermost middleware: counts every response and times it from the first middleware to the last."""

    def __init__(self, get_response):
        self.get_response = get_response
        metrics = Metrics.get_instance()
        self.responses = metrics.responses_by_status_view_method
        self.latency = metrics.requests_latency_by_view_method
        # (status, view, method) -> (response counter, latency histogram): bounded by views x statuses x methods.
        self.children: dict[tuple[int, str, str], tuple] = {}

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        elapsed = time.perf_counter() - started
        match = request.resolver_match
        view = (match.view_name if match is not None else None) or UNNAMED_VIEW
        method = request.method if request.method in KNOWN_METHODS else INVALID_METHOD
        key = (response.status_code, view, method)
        children = self.children.get(key)
        if children is None:
            children = self.children[key] = (
                self.responses.labels(status=str(response.status_code), view=view, method=method),
                self.latency.labels(view=view, method=method),
            )
        children[0].inc()
        children[1].observe(elapsed)
        return response
