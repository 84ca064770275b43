"""Read settings from the environment, failing fast with a message that says what to fix."""

import ipaddress
import os
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off", ""}
SUPPORTED_DATABASE_SCHEMES = {"postgres", "postgresql", "pgsql", "sqlite"}
HOW_TO_MAKE_A_KEY = 'Generate one with: python3 -c "import secrets; print(secrets.token_urlsafe(64))"'


def env_str(name: str, default: str = "") -> str:
    """The variable's value with surrounding whitespace removed, or the default."""
    return os.environ.get(name, default).strip()


def env_bool(name: str, default: bool) -> bool:
    """A yes/no variable: 1/true/yes/on or 0/false/no/off, any case."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    word = raw.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a yes/no value; use true or false.")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    """A whole-number variable, optionally with a lower bound."""
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number.") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name}={value} is too small; it must be at least {minimum}.")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    """A comma-separated variable as a list, blanks dropped."""
    raw = os.environ.get(name)
    if raw is None:
        return list(default)
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_networks(name: str, default: list[str] | None = None) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """A comma-separated list of IP networks (10.1.2.0/24, 2001:db8::/48) or single addresses; set empty, none."""
    networks = []
    for item in env_list(name, default or []):
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ImproperlyConfigured(
                f"{name}: {item!r} is not an IP network; use a comma-separated list such as 10.1.2.0/24,fd00:1::/64."
            ) from None
    return networks


def env_database(name: str, default: str) -> dict:
    """A Django DATABASES entry from a URL such as postgres://user@host:5432/db."""
    url = env_str(name) or default
    scheme = urlsplit(url).scheme
    if scheme not in SUPPORTED_DATABASE_SCHEMES:
        raise ImproperlyConfigured(
            f"{name}={url!r} is not a database URL newsblog can use. "
            "Use postgres://USER:PASSWORD@HOST:PORT/NAME, or unset it to use the embedded SQLite file."
        )
    try:
        return dj_database_url.parse(url)
    except ValueError as error:
        raise ImproperlyConfigured(
            f"{name} could not be read ({error}). Expected postgres://USER:PASSWORD@HOST:PORT/NAME; "
            "quote special characters in the password with %XX escapes."
        ) from None


def env_redis_url(name: str) -> str:
    """A redis:// or rediss:// URL, or empty when the variable is unset."""
    url = env_str(name)
    if url and urlsplit(url).scheme not in {"redis", "rediss", "unix"}:
        raise ImproperlyConfigured(
            f"{name}={url!r} is not a Redis URL. Use redis://HOST:6379/0, or unset it to run without Redis."
        )
    return url


def env_secret_key(name: str, *, debug: bool, dev_key: str, published_in: list[Path]) -> str:
    """The secret key; with debug off it must be long, varied, not the dev key, and in none of our docs."""
    key = env_str(name)
    if debug:
        return key or dev_key
    if len(key) < 50 or key.startswith("django-insecure") or len(set(key)) < 5:
        raise ImproperlyConfigured(
            f"{name} must be set to a random value of at least 50 characters when DJANGO_DEBUG is off. "
            + HOW_TO_MAKE_A_KEY
        )
    published = _file_containing(key, published_in)
    if published:
        raise ImproperlyConfigured(
            f"{name} is the example value published in {published}: anyone could sign sessions with it. "
            + HOW_TO_MAKE_A_KEY
        )
    return key


def _file_containing(text: str, paths: list[Path]) -> str:
    """The name of the first file (or file below a folder) that contains text; "" for none (or none shipped)."""
    for path in paths:
        for file in sorted(path.rglob("*")) if path.is_dir() else [path]:
            if file.is_file() and text in file.read_text(encoding="utf-8", errors="replace"):
                return file.name
    return ""
