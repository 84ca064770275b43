"""The fetcher's address policy: public unicast only, checked on every address the fetcher connects to.

Python's `ipaddress` tables lag the IANA special-purpose registries (this Python calls fec0::/10, 3fff::/20 and
5f00::/16 global), so every block the registries mark as not globally reachable is also denied by name here.
Operators who really ingest an intranet feed list its networks in FEEDS_ALLOWED_NETWORKS.
"""

import ipaddress

from django.conf import settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# IANA IPv4 and IPv6 special-purpose address registries: the blocks not globally reachable (a /24 or /23 is
# denied whole where it holds a few reachable anycast addresses; no feed lives there), and the deprecated
# site-local, 6to4-relay and SIIT blocks.
NOT_GLOBALLY_REACHABLE = tuple(
    ipaddress.ip_network(block)
    for block in (
        "0.0.0.0/8",  # "this network"
        "10.0.0.0/8",
        "100.64.0.0/10",  # carrier-grade NAT
        "127.0.0.0/8",
        "169.254.0.0/16",
        "172.16.0.0/12",
        "192.0.0.0/24",  # IETF protocol assignments
        "192.0.2.0/24",  # documentation
        "192.88.99.0/24",  # 6to4 relay anycast (deprecated)
        "192.168.0.0/16",
        "198.18.0.0/15",  # benchmarking
        "198.51.100.0/24",
        "203.0.113.0/24",
        "224.0.0.0/4",  # multicast
        "240.0.0.0/4",  # reserved, and the limited broadcast address
        "::/128",
        "::1/128",
        "::ffff:0:0/96",  # IPv4-mapped: unwrapped and judged as IPv4 before this list is read
        "::ffff:0:0:0/96",  # IPv4-translated (SIIT)
        "64:ff9b:1::/48",  # local-use IPv4/IPv6 translation
        "100::/64",  # discard-only
        "100:0:0:1::/64",  # dummy prefix
        "2001::/23",  # IETF protocol assignments, Teredo and benchmarking among them
        "2001:db8::/32",  # documentation
        "3fff::/20",  # documentation
        "5f00::/16",  # segment routing SIDs
        "fc00::/7",  # unique local
        "fe80::/10",  # link-local
        "fec0::/10",  # site-local (deprecated)
        "ff00::/8",  # multicast
    )
)
# IPv6 forms that carry an IPv4 address, which ipaddress may call global whatever the IPv4 address is.
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")
_LOW_32_BITS = 0xFFFFFFFF


def address_allowed(address: str) -> bool:
    """Whether the fetcher may connect to this IP address: public unicast, or in FEEDS_ALLOWED_NETWORKS."""
    if settings.FEEDS_ALLOW_PRIVATE_ADDRESSES:
        return True
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    if any(ip in network for network in settings.FEEDS_ALLOWED_NETWORKS):
        return True
    if isinstance(ip, ipaddress.IPv4Address):
        return _public(ip)
    return _public(ip) and all(_public(embedded) for embedded in _embedded_ipv4(ip))


def _public(ip: IPAddress) -> bool:
    return ip.is_global and not any(ip in block for block in NOT_GLOBALLY_REACHABLE)


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses a NAT64, 6to4, Teredo or IPv4-compatible address leads to (none for plain IPv6)."""
    if ip.sixtofour:
        return [ip.sixtofour]
    if ip.teredo:
        return list(ip.teredo)
    in_low_bits = ip in _NAT64 or (ip in _IPV4_COMPATIBLE and int(ip) > 1)
    return [ipaddress.IPv4Address(int(ip) & _LOW_32_BITS)] if in_low_bits else []
