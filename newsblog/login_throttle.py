"""Throttle repeated failed admin log-ins per client address, so passwords cannot be guessed at speed."""

import hashlib
import logging

from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.cache import cache
from django.core.exceptions import ValidationError
from redis.exceptions import RedisError

from newsblog.client import client_address
from newsblog.counters import window_count

logger = logging.getLogger(__name__)

FAILURES_ALLOWED = 5
WINDOW_SECONDS = 15 * 60


def failure_key(request) -> str:
    address = client_address(request)
    digest = hashlib.sha256(f"{settings.SECRET_KEY}:{address}".encode()).hexdigest()[:32]
    return f"login-failures:{digest}"


def failures_so_far(request) -> int:
    try:
        return cache.get(failure_key(request), 0)
    except (RedisError, OSError):  # a cache outage must not lock editors out
        logger.warning("login throttle: cache unavailable, not throttling", exc_info=True)
        return 0


def record_failure(request) -> None:
    try:
        window_count(failure_key(request), WINDOW_SECONDS)
    except (RedisError, OSError):
        logger.warning("login throttle: cache unavailable, failure not recorded", exc_info=True)


class ThrottledAdminLoginForm(AdminAuthenticationForm):
    """The admin log-in form, refusing further attempts after FAILURES_ALLOWED failures in the window."""

    def clean(self):
        if self.request is not None and failures_so_far(self.request) >= FAILURES_ALLOWED:
            raise ValidationError(
                "Too many failed log-in attempts from your address. Wait 15 minutes, then try again.",
                code="throttled",
            )
        try:
            return super().clean()
        except ValidationError:
            if self.request is not None:
                record_failure(self.request)
            raise
