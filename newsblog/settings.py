"""newsblog settings. Every value comes from the environment; see the settings table in README.md.

Unset, the site runs in its embedded default (SQLite, no Redis, Celery tasks in-process, DEBUG on).
With DJANGO_DEBUG off it is in production mode and refuses to start without a real secret key
and allowed hosts.
"""

from datetime import timedelta
from pathlib import Path

from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

from newsblog.env import (
    env_bool,
    env_database,
    env_int,
    env_list,
    env_networks,
    env_redis_url,
    env_secret_key,
    env_str,
)

BASE_DIR = Path(__file__).resolve().parent.parent

# --- Core -------------------------------------------------------------------------------------

# Off means production: secret key and allowed hosts become mandatory.
DEBUG = env_bool("DJANGO_DEBUG", default=True)

# Only ever used with DEBUG on; production refuses it, short or repetitive keys, and our docs' example keys.
DEV_SECRET_KEY = "django-insecure-dev-only-key-never-use-this-in-production-0123456789"  # noqa: S105
PUBLISHED_EXAMPLES = [BASE_DIR / name for name in ("docs", "README.md", "Dockerfile", "docker-compose.yml")]
SECRET_KEY = env_secret_key("DJANGO_SECRET_KEY", debug=DEBUG, dev_key=DEV_SECRET_KEY, published_in=PUBLISHED_EXAMPLES)

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured(
        "DJANGO_ALLOWED_HOSTS must list the site's host names (comma-separated) when DJANGO_DEBUG is off, "
        "for example DJANGO_ALLOWED_HOSTS=news.example.com"
    )
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

# The name shown in the header, page titles, our feeds and the fetcher's User-Agent.
SITE_NAME = env_str("SITE_NAME", "newsblog")
# Public base URL of the site, used where no request is at hand (User-Agent, feeds from tasks).
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "operations.apps.DeskAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "articles",
    "feeds",
    "operations",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "newsblog.security.ContentSecurityPolicyMiddleware",
    # Innermost: sees the view's own status, and counts a post view only for a 200.
    "articles.popularity.middleware.CountViewsMiddleware",
]

ROOT_URLCONF = "newsblog.urls"
WSGI_APPLICATION = "newsblog.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "newsblog.context_processors.site",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------------------------

# Unset: an SQLite file in the project folder (embedded default).
DATABASES = {"default": env_database("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
# Persistent connections: reconnecting per request costs more than rendering a page.
DATABASES["default"]["CONN_MAX_AGE"] = env_int("DJANGO_CONN_MAX_AGE", 60, minimum=0)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server read while an in-process poll writes.
    DATABASES["default"]["OPTIONS"] = {"init_command": "PRAGMA journal_mode=WAL;", "timeout": 20}
elif env_bool("DATABASE_PREPARED_STATEMENTS", default=True):
    # Server-side binding lets psycopg prepare a query the second time a connection runs it: PostgreSQL then
    # skips parsing and planning, which cost it more than running a post page's query (1.9 ms of CPU a page
    # against 0.4 ms, bench/pages.py). Off behind a pooler that cannot keep prepared statements (PgBouncer's
    # transaction mode before 1.21).
    DATABASES["default"]["OPTIONS"] = {"server_side_binding": True, "prepare_threshold": 2}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: cache, view counters, Celery broker -------------------------------------------------

# Unset: local-memory cache, views written straight to the database, Celery tasks run in-process.
REDIS_URL = env_redis_url("REDIS_URL")

# Seconds a Redis call may take before it counts as failed: Redis is an accelerator, so a slow or dead one must cost
# a page render or a health probe a moment, not the request. (The view counter keeps its own, shorter one.)
REDIS_TIMEOUT_SECONDS = 0.5
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "newsblog.redis_cache.ReusedClientRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "newsblog",
            "OPTIONS": {"socket_connect_timeout": REDIS_TIMEOUT_SECONDS, "socket_timeout": REDIS_TIMEOUT_SECONDS},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "newsblog"}}

# --- Celery -----------------------------------------------------------------------------------

# Seconds between looks for due sources: Celery beat's, and `make run`'s pollfeeds --due schedule. The desk warns
# when no scheduler has looked for twice this long.
FEEDS_SCHEDULE_SECONDS = env_int("FEEDS_SCHEDULE_SECONDS", 60, minimum=1)

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_IGNORE_RESULT = True
# A task is acknowledged after it ran, so a killed worker's poll runs again.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 60, minimum=1)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 90, minimum=1)
# Longer than the hard time limit, so a slow task is not handed to a second worker while it runs.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "UTC"
# Workers and beat log through LOGGING below (plain or JSON), not Celery's own root-logger setup.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# Seconds between beat's runs of flush_views (poll_due_sources runs every FEEDS_SCHEDULE_SECONDS).
BEAT_FLUSH_VIEWS_SECONDS = env_int("BEAT_FLUSH_VIEWS_SECONDS", 60, minimum=1)
CELERY_BEAT_SCHEDULE = {
    "poll-due-sources": {"task": "feeds.tasks.poll_due_sources", "schedule": timedelta(seconds=FEEDS_SCHEDULE_SECONDS)},
    "flush-views": {"task": "articles.tasks.flush_views", "schedule": timedelta(seconds=BEAT_FLUSH_VIEWS_SECONDS)},
    "prune-fetch-attempts": {"task": "feeds.tasks.prune_fetch_attempts", "schedule": crontab(hour=3, minute=17)},
}

# --- Feeds ------------------------------------------------------------------------------------

# Networks the fetcher may reach although they are not public, for an intranet feed (10.1.2.0/24,...).
FEEDS_ALLOWED_NETWORKS = env_networks("FEEDS_ALLOWED_NETWORKS")
# Turns the address policy off: for tests and local demos only, so refused with DEBUG off.
FEEDS_ALLOW_PRIVATE_ADDRESSES = env_bool("FEEDS_ALLOW_PRIVATE_ADDRESSES", default=False)
if FEEDS_ALLOW_PRIVATE_ADDRESSES and not DEBUG:
    raise ImproperlyConfigured(
        "FEEDS_ALLOW_PRIVATE_ADDRESSES=true turns the fetcher's address policy off and is refused when DJANGO_DEBUG "
        "is off. To ingest an intranet feed, list its networks instead: FEEDS_ALLOWED_NETWORKS=10.1.2.0/24"
    )
# Minutes between polls of a source that sets no interval of its own.
FEEDS_DEFAULT_INTERVAL_MINUTES = env_int("FEEDS_DEFAULT_INTERVAL_MINUTES", 30, minimum=1)
# Seconds the admin's add-source check may take in all (page and feed), well under gunicorn's and
# nginx's 30 s; a slower server's source is saved unchecked and its first poll tells.
FEEDS_ADD_CHECK_SECONDS = env_int("FEEDS_ADD_CHECK_SECONDS", 10, minimum=1)
# Per-host politeness (feeds/politeness/): requests in flight at once to one host, and milliseconds between the
# starts of two requests to it, across every worker (per process without Redis).
FEEDS_HOST_MAX_IN_FLIGHT = env_int("FEEDS_HOST_MAX_IN_FLIGHT", 2, minimum=1)
FEEDS_HOST_MIN_GAP_MS = env_int("FEEDS_HOST_MIN_GAP_MS", 1000, minimum=0)
# Seconds a poll waits at most for its turn at a busy host; then the source is deferred (never past the task's
# soft time limit: the wait is cut to leave the fetch its 30 s within it).
FEEDS_HOST_WAIT_SECONDS = env_int("FEEDS_HOST_WAIT_SECONDS", 20, minimum=0)

# Re-checks of original articles after publishing (feeds/originals.py), at most this many a minute in all; 0: none.
ORIGINAL_CHECKS_PER_MINUTE = env_int("ORIGINAL_CHECKS_PER_MINUTE", 60, minimum=0)
if ORIGINAL_CHECKS_PER_MINUTE:
    CELERY_BEAT_SCHEDULE["check-originals"] = {"task": "feeds.tasks.check_originals", "schedule": timedelta(minutes=1)}

# --- WebSub push (feeds/websub/, README "WebSub push") ---------------------------------------------

# Subscribe to the hubs feeds name, so their new entries are pushed to SITE_URL/websub/<id>/ as they appear.
WEBSUB_ENABLED = env_bool("WEBSUB_ENABLED", default=True)
# The lease asked of hubs; renewed a day (at most half a lease) before it ends.
WEBSUB_LEASE_SECONDS = env_int("WEBSUB_LEASE_SECONDS", 10 * 24 * 3600, minimum=60)
if WEBSUB_ENABLED:
    CELERY_BEAT_SCHEDULE["websub-maintain"] = {
        "task": "feeds.websub.tasks.websub_maintain",
        "schedule": timedelta(minutes=5),
    }

# --- Health (/healthz) -------------------------------------------------------------------------

# /healthz answers 503 when no source was polled successfully for this long (while some are active) ...
HEALTHZ_MAX_POLL_AGE_MINUTES = env_int("HEALTHZ_MAX_POLL_AGE_MINUTES", 180, minimum=1)
# ... or when view counters were not moved from Redis to the database for this long.
HEALTHZ_MAX_FLUSH_AGE_MINUTES = env_int("HEALTHZ_MAX_FLUSH_AGE_MINUTES", 10, minimum=1)

# --- Metrics (/metrics, the worker's CELERY_METRICS_PORT) -------------------------------------------

# Request, database and cache metrics (django-prometheus) and /metrics; off only to measure their cost.
METRICS_ENABLED = env_bool("METRICS_ENABLED", default=True)
# /metrics answers these networks (default loopback) and requests bearing METRICS_TOKEN; 403 to the rest.
METRICS_ALLOWED_NETWORKS = env_networks("METRICS_ALLOWED_NETWORKS", ["127.0.0.0/8", "::1"])
METRICS_TOKEN = env_str("METRICS_TOKEN")
# The Celery worker serves its own metrics here (0 = off); on loopback only, unless an address is given.
CELERY_METRICS_PORT = env_int("CELERY_METRICS_PORT", 9808, minimum=0)
# Beat serves the tasks it sent here (0 = off); both listen on CELERY_METRICS_ADDRESS.
CELERY_BEAT_METRICS_PORT = env_int("CELERY_BEAT_METRICS_PORT", 9809, minimum=0)
CELERY_METRICS_ADDRESS = env_str("CELERY_METRICS_ADDRESS", "127.0.0.1")
if METRICS_ENABLED:
    INSTALLED_APPS.append("django_prometheus")
    # Outermost: every response, timed through the whole stack (newsblog/metrics/requests.py says why not
    # django-prometheus's own pair).
    MIDDLEWARE.insert(0, "newsblog.metrics.requests.RequestMetricsMiddleware")
    # PostgreSQL's queries are counted; the embedded default's SQLite keeps Django's own backend, which
    # test runners (pytest-django's per-worker databases) and tools recognise by its name.
    DATABASES["default"]["ENGINE"] = DATABASES["default"]["ENGINE"].replace(
        "django.db.backends.postgresql", "django_prometheus.db.backends.postgresql"
    )
    if REDIS_URL:
        CACHES["default"]["BACKEND"] = "newsblog.metrics.cache.CountingRedisCache"

# --- Reading side -----------------------------------------------------------------------------

# Approve reader comments without moderation.
COMMENTS_AUTO_APPROVE = env_bool("COMMENTS_AUTO_APPROVE", default=False)
# Popular-posts widget: window ("7d", "30d" or "all"; the articles app refuses others at start-up), number of
# posts, thumbnails, snippet length.
POPULAR_WINDOW = env_str("POPULAR_WINDOW", "7d")
POPULAR_COUNT = env_int("POPULAR_COUNT", 5, minimum=1)
POPULAR_THUMBNAILS = env_bool("POPULAR_THUMBNAILS", default=True)
POPULAR_SNIPPET_CHARS = env_int("POPULAR_SNIPPET_CHARS", 900, minimum=50)
# A post page's <link rel="canonical"> names the original article; false points it at our own page.
CANONICAL_TO_ORIGINAL = env_bool("CANONICAL_TO_ORIGINAL", default=True)
# Seconds an anonymous page render is kept; changes to posts and approved comments invalidate sooner. 0 = off.
# Without Redis the cache lives in each process, where a change made by another process (a cron
# `pollfeeds`) cannot drop it: keep pages for a minute there, ten where Redis makes invalidation shared.
PAGE_CACHE_SECONDS = env_int("PAGE_CACHE_SECONDS", 600 if REDIS_URL else 60, minimum=0)
# With Redis, each process keeps the pages it last read as current this many seconds in its own memory
# (articles/hotpages.py): a change shows in other processes within this bound. 0 turns the layer off.
PAGE_CACHE_LOCAL_SECONDS = env_int("PAGE_CACHE_LOCAL_SECONDS", 2, minimum=0)
# After a change drops a cached page, one request renders it anew while the others are served the copy from
# before the change, for at most this many seconds after it (articles/pagecache.py). 0: every reader renders.
PAGE_CACHE_STALE_SECONDS = env_int("PAGE_CACHE_STALE_SECONDS", 5, minimum=0)
# Accepted comments per client address per window before answering 429.
COMMENTS_RATE_LIMIT = env_int("COMMENTS_RATE_LIMIT", 5, minimum=1)
COMMENTS_RATE_WINDOW_SECONDS = env_int("COMMENTS_RATE_WINDOW_SECONDS", 600, minimum=1)
# Only bench/pages.py turns this on: it adds a trivial /_bench/trivial view as the baseline.
BENCH_TRIVIAL_VIEW = env_bool("NEWSBLOG_BENCH_TRIVIAL_VIEW", default=False)

# --- Time and language ------------------------------------------------------------------------

LANGUAGE_CODE = "en-us"
# Stored in UTC, shown in this zone.
TIME_ZONE = env_str("DJANGO_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True
# The one date format of pages, feeds and the desk: newsblog/formats/en/formats.py.
FORMAT_MODULE_PATH = ["newsblog.formats"]

# --- Static files -----------------------------------------------------------------------------

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# --- Security (production) --------------------------------------------------------------------

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    # Load balancers and monitors probe /healthz (and Prometheus /metrics) over plain HTTP on the private side.
    SECURE_REDIRECT_EXEMPT = [r"^healthz(/live|/ready)?$", r"^metrics$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("DJANGO_SECURE_HSTS_SECONDS", 31_536_000, minimum=0)
    # This host only, and no preload-list request: both bind other sites and are slow to undo; opt in.
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
    SECURE_HSTS_PRELOAD = env_bool("DJANGO_SECURE_HSTS_PRELOAD", default=False)
    # Django's deploy check asks for both; leaving them off is the documented choice, not an oversight.
    SILENCED_SYSTEM_CHECKS = ["security.W005", "security.W021"]
# Only behind a proxy that sets X-Forwarded-Proto itself (nginx in docs/deploy.md); never otherwise.
BEHIND_PROXY = env_bool("DJANGO_BEHIND_PROXY", default=False)
if BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# No inline script anywhere; frames only from the video hosts the sanitizer lets through.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        # Upstream images are often still plain http; an image cannot run code, so only their scheme is checked.
        "img-src 'self' https: http: data:",
        "media-src 'self' https:",
        "frame-src https://www.youtube.com https://youtube.com https://www.youtube-nocookie.com https://player.vimeo.com",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

# --- Logging ----------------------------------------------------------------------------------

LOG_LEVEL = env_str("DJANGO_LOG_LEVEL", "INFO").upper()
LOG_JSON = env_bool("DJANGO_LOG_JSON", default=False)
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "newsblog.logging.JsonFormatter"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json" if LOG_JSON else "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {"django": {"handlers": ["console"], "level": "INFO", "propagate": False}},
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
