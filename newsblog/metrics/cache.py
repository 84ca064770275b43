"""Django's own Redis cache backend, counting gets, hits, misses and failures as django-prometheus does.

django-prometheus's Redis backend wraps django-redis; ours is Django's built-in one, so this subclass
records into django-prometheus's own cache metrics (same names, backend="redis").
"""

from django_prometheus.cache.metrics import (
    django_cache_get_fail_total,
    django_cache_get_total,
    django_cache_hits_total,
    django_cache_misses_total,
)

from newsblog.redis_cache import ReusedClientRedisCache

BACKEND = "redis"


class CountingRedisCache(ReusedClientRedisCache):
    def get(self, key, default=None, version=None):
        django_cache_get_total.labels(backend=BACKEND).inc()
        try:
            found = super().get(key, default=None, version=version)
        except Exception:
            django_cache_get_fail_total.labels(backend=BACKEND).inc()
            raise
        (django_cache_hits_total if found is not None else django_cache_misses_total).labels(backend=BACKEND).inc()
        return default if found is None else found

    def get_many(self, keys, version=None):
        keys = list(keys)
        django_cache_get_total.labels(backend=BACKEND).inc(len(keys))
        try:
            found = super().get_many(keys, version=version)
        except Exception:
            django_cache_get_fail_total.labels(backend=BACKEND).inc(len(keys))
            raise
        django_cache_hits_total.labels(backend=BACKEND).inc(len(found))
        django_cache_misses_total.labels(backend=BACKEND).inc(len(keys) - len(found))
        return found
