"""Throttle repeated failed admin log-ins per client address, so passwords cannot be guessed at speed."""

import hashlib
import logging

from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.cache import cache
from django.core.exceptions import ValidationError
from redis.exceptions import RedisError

from operations.client import client_network
from operations.counters import window_count

logger = logging.getLogger(__name__)

FAILURES_ALLOWED = 5
WINDOW_SECONDS = 15 * 60


def failure_key(request) -> str:
    address = client_network(request)
    digest = hashlib.sha256(f"{settings.SECRET_KEY}:{address}".encode()).hexdigest()[:32]
    return f"login-failures:{digest}"


def attempt_allowed(request) -> bool:
    """Count this attempt first, then decide: False once the address used up its attempts in the window.

    Counting before the password check, atomically, means parallel guesses cannot all pass a check made
    before any of them was recorded. A successful log-in gives its attempt back (`attempt_succeeded`).
    """
    try:
        return window_count(failure_key(request), WINDOW_SECONDS) <= FAILURES_ALLOWED
    except (RedisError, OSError):  # a cache outage must not lock editors out
        logger.warning("login throttle: cache unavailable, not throttling", exc_info=True)
        return True


def attempt_succeeded(request) -> None:
    """A right password does not count as a failure."""
    try:
        cache.decr(failure_key(request))
    except ValueError:  # the window ended meanwhile: nothing to give back
        pass
    except (RedisError, OSError):
        logger.warning("login throttle: cache unavailable, attempt not given back", exc_info=True)


class ThrottledAdminLoginForm(AdminAuthenticationForm):
    """The admin log-in form, refusing further attempts after FAILURES_ALLOWED failures in the window."""

    def clean(self):
        if self.request is None:
            return super().clean()
        if not attempt_allowed(self.request):
            raise ValidationError(
                "Too many failed log-in attempts from your address. Wait 15 minutes, then try again.",
                code="throttled",
            )
        cleaned = super().clean()
        attempt_succeeded(self.request)
        return cleaned
