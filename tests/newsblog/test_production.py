"""Production settings as deployed (docs/deploy.md): WhiteNoise hashed files, secure cookies, HSTS."""

import json

from whitenoise.compress import Compressor

from tests.newsblog.test_settings import PRODUCTION, manage

SHOW = (
    "from django.conf import settings as s; import json; print(json.dumps({"
    "'storage': s.STORAGES['staticfiles']['BACKEND'], 'session': s.SESSION_COOKIE_SECURE, "
    "'csrf': s.CSRF_COOKIE_SECURE, 'hsts': s.SECURE_HSTS_SECONDS, 'redirect': s.SECURE_SSL_REDIRECT, "
    "'exempt': s.SECURE_REDIRECT_EXEMPT, 'proxy': s.SECURE_PROXY_SSL_HEADER, "
    "'subdomains': s.SECURE_HSTS_INCLUDE_SUBDOMAINS, 'preload': s.SECURE_HSTS_PRELOAD}))"
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
    assert shown["exempt"] == ["^healthz(/live|/ready)?$", "^metrics$"]  # probes and Prometheus, over plain HTTP
    assert shown["proxy"] is None


def test_behind_a_proxy_the_forwarded_scheme_is_trusted():
    assert production_settings(DJANGO_BEHIND_PROXY="true")["proxy"] == ["HTTP_X_FORWARDED_PROTO", "https"]


def test_hsts_covers_only_this_host_and_asks_no_preload_unless_the_operator_says_so():
    shown = production_settings()
    assert (shown["subdomains"], shown["preload"]) == (False, False)
    shown = production_settings(DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS="true", DJANGO_SECURE_HSTS_PRELOAD="true")
    assert (shown["subdomains"], shown["preload"]) == (True, True)


def test_collectstatic_writes_gzip_and_brotli_copies_as_deploy_md_says(tmp_path):
    stylesheet = tmp_path / "newsblog.css"
    stylesheet.write_text("body { color: #222; margin: 0 auto; }\n" * 100)
    Compressor(quiet=True).compress(str(stylesheet))
    assert sorted(path.name for path in tmp_path.iterdir()) == ["newsblog.css", "newsblog.css.br", "newsblog.css.gz"]
