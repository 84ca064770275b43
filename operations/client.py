"""Who is asking: the client's address, as our own proxy saw it."""

import ipaddress

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


# One IPv6 subscriber gets a whole /64 (2^64 addresses): limits keyed on the full address would not limit.
IPV6_LIMIT_PREFIX = 64


def client_network(request: HttpRequest) -> str:
    """What limits are keyed on: an IPv4 client's address, an IPv6 client's /64 (an IPv4-mapped one as IPv4)."""
    address = client_address(request)
    try:
        parsed = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return address  # not an address at all (a broken proxy header): limited as the odd string it is
    if parsed.version == 6 and parsed.ipv4_mapped:
        return str(parsed.ipv4_mapped)
    if parsed.version == 6:
        return str(ipaddress.ip_network(f"{parsed}/{IPV6_LIMIT_PREFIX}", strict=False))
    return str(parsed)
