"""Who is reading, as the counter knows them: salted hashes, never the address itself."""

from django.http import HttpRequest
from django.utils.crypto import salted_hmac

from operations.client import client_network


def visitor_hash(request: HttpRequest) -> str:
    """The visitor's identity: a salted hash of address (an IPv6 /64) and user agent (the address is never kept)."""
    raw = f"{client_network(request)}\n{request.META.get('HTTP_USER_AGENT', '')}"
    return salted_hmac("newsblog.popularity.visitor", raw, algorithm="sha256").hexdigest()[:32]


def address_hash(request: HttpRequest) -> str:
    """The visitor's address (an IPv6 /64) alone, salted and hashed: what the cap on views per address counts."""
    return salted_hmac("newsblog.popularity.address", client_network(request), algorithm="sha256").hexdigest()[:32]
