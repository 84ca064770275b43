"""The X-Hub-Signature check: an HMAC of the raw body with the subscription's secret, compared in constant time."""

import hashlib
import hmac
from collections.abc import Iterable

ALGORITHMS = {"sha1": hashlib.sha1, "sha256": hashlib.sha256, "sha384": hashlib.sha384, "sha512": hashlib.sha512}


def sign(*, body: bytes, secret: str, method: str = "sha256") -> str:
    """The X-Hub-Signature value a hub sends for body: "<method>=<hex HMAC>"."""
    return f"{method}={hmac.new(secret.encode(), body, ALGORITHMS[method]).hexdigest()}"


def signature_valid(*, body: bytes, header: str, secrets: Iterable[str]) -> bool:
    """Whether the header is a sha1/sha256/sha384/sha512 HMAC of body under one of the (non-blank) secrets."""
    method, _equals, given = (header or "").strip().partition("=")
    digest = ALGORITHMS.get(method.strip().lower())
    if digest is None or not given.strip():
        return False
    given_bytes = given.strip().lower().encode("utf-8", errors="replace")
    valid = False
    for secret in secrets:
        if secret:
            expected = hmac.new(secret.encode(), body, digest).hexdigest().encode()
            valid |= hmac.compare_digest(expected, given_bytes)
    return valid
