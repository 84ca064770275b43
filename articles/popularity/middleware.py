"""Count post views only once the response is known to be a 200."""

from articles.popularity.recording import DEFERRED_ATTR, view_count


class CountViewsMiddleware:
    """Holds the views view_record notes during a request and counts them if the response is a 200."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        deferred: list[int] = []
        setattr(request, DEFERRED_ATTR, deferred)
        response = self.get_response(request)
        if response.status_code == 200:
            for article_id in deferred:
                view_count(request=request, article_id=article_id)
        return response
