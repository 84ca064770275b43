"""Who is asking: the client's address, as our own proxy saw it."""

from django.conf import settings
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str:
    """The client's IP address; behind our proxy (DJANGO_BEHIND_PROXY), the one it appended to X-Forwarded-For.

    Only the last entry is trusted: earlier ones are whatever the client chose to send.
    """
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if settings.BEHIND_PROXY and forwarded.strip():
        return forwarded.split(",")[-1].strip()
    return request.META.get("REMOTE_ADDR", "")
