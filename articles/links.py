"""Our own URLs, reversed once per process: a page links to the same dozen URLs on every render, and each
reverse() walks the URL patterns again (about 0.1 ms, a tenth of a cached page's cost)."""

import functools

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.urls import get_script_prefix, get_urlconf, reverse


def link(name: str, *args) -> str:
    """reverse(name, args=args), kept for this URL configuration and script prefix."""
    return _reversed(get_urlconf() or settings.ROOT_URLCONF, get_script_prefix(), name, tuple(str(a) for a in args))


@functools.lru_cache(maxsize=8192)
def _reversed(urlconf: str, prefix: str, name: str, args: tuple) -> str:
    # The prefix is in the key because reverse() reads it from the thread; it is not passed on.
    return reverse(name, urlconf=urlconf, args=args)


@receiver(setting_changed)
def _forget_on_urlconf_change(*, setting: str, **kwargs) -> None:
    if setting == "ROOT_URLCONF":
        _reversed.cache_clear()
