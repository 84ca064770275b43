"""Production settings as deployed (docs/deploy.md): WhiteNoise hashed files, secure cookies, HSTS."""

import json

from tests.newsblog.test_settings import PRODUCTION, manage

SHOW = (
    "from django.conf import settings as s; import json; print(json.dumps({"
    "'storage': s.STORAGES['staticfiles']['BACKEND'], 'session': s.SESSION_COOKIE_SECURE, "
    "'csrf': s.CSRF_COOKIE_SECURE, 'hsts': s.SECURE_HSTS_SECONDS, 'redirect': s.SECURE_SSL_REDIRECT, "
    "'exempt': s.SECURE_REDIRECT_EXEMPT, 'proxy': s.SECURE_PROXY_SSL_HEADER}))"
)


def production_settings(**extra: str) -> dict:
    result = manage("shell", "-c", SHOW, **PRODUCTION, **extra)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_serves_hashed_compressed_static_files_over_https_only():
    shown = production_settings()
    assert shown["storage"] == "whitenoise.storage.CompressedManifestStaticFilesStorage"
    assert shown["session"] and shown["csrf"]
    assert shown["hsts"] == 31_536_000
    assert shown["redirect"]
    assert shown["exempt"] == ["^healthz$"]
    assert shown["proxy"] is None


def test_behind_a_proxy_the_forwarded_scheme_is_trusted():
    assert production_settings(DJANGO_BEHIND_PROXY="true")["proxy"] == ["HTTP_X_FORWARDED_PROTO", "https"]
