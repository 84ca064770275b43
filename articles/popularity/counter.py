"""The Redis side of view counting: the request-path script, the atomic take and release of a batch.

Keys (all under "newsblog:views:"):
  pending                hash "<article id>:<YYYY-MM-DD>" -> views not yet in the database
  inflight:<flush id>    a batch taken from pending, kept until its counts are committed
  inflight               set of the flush ids of batches taken but not yet released
  seen:<article>:<visitor>  the 30-minute dedupe marker
  addr:<article>:<address>  views counted from one address (an IPv6 /64) in the 30 minutes since its first
  uv:<date>:<article>    HyperLogLog of the day's visitors of a post
  last-flush             ISO time the last flush finished
"""

import functools
import uuid
from datetime import date

import redis
from django.conf import settings

from articles.pagecache import POST_PAGE_SCRIPT_KEYS, POST_PAGE_SCRIPT_LOCALS

PREFIX = "newsblog:views:"
PENDING_KEY = f"{PREFIX}pending"
INFLIGHT_SET_KEY = f"{PREFIX}inflight"
LAST_FLUSH_KEY = f"{PREFIX}last-flush"
DEDUPE_SECONDS = 30 * 60
# Views one address may add to a post per dedupe window: a household behind one NAT still counts, a script
# rotating its User-Agent does not.
VIEWS_PER_ADDRESS = 3
# Long enough for a flush that runs days late to still read the day's unique visitors.
VISITORS_TTL_SECONDS = 3 * 24 * 3600
# A dead Redis must cost a reader milliseconds, not seconds.
SOCKET_TIMEOUT_SECONDS = 0.25

# The counting itself, shared by both scripts below: the visitor's dedupe marker with its expiry; only if it
# was new, the address's count in the window; only if that is within the cap, the day's count and the day's
# HyperLogLog. Atomic, so two requests can never both count.
COUNT_LUA = """
local function count_view(seen, from_address, pending, visitors, field, visitor, dedupe_seconds, visitors_ttl, cap)
  if not redis.call('SET', seen, '1', 'NX', 'EX', dedupe_seconds) then
    return 0
  end
  local address_views = redis.call('INCR', from_address)
  if address_views == 1 then
    redis.call('EXPIRE', from_address, dedupe_seconds)
  end
  if address_views > tonumber(cap) then
    return 0
  end
  redis.call('HINCRBY', pending, field, 1)
  redis.call('PFADD', visitors, visitor)
  redis.call('EXPIRE', visitors, visitors_ttl)
  return 1
end
"""

# One round trip: count one view of a known post.
RECORD_LUA = (
    COUNT_LUA + "return count_view(KEYS[1], KEYS[2], KEYS[3], KEYS[4], ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5])"
)

# One round trip for a cached post page: the page, and its view counted, only if the page belongs to the
# current epoch and its section's current generation. The page's keys come bound to locals named as
# articles/pagecache.py's POST_PAGE_SCRIPT_KEYS names them (its contract with this script); the pending counts
# follow them. The post's id is only known once its key is read, so the counting keys are built here, spelled
# exactly as seen_key, address_key, visitors_key and count_field spell them.
CACHED_PAGE_LUA = (
    COUNT_LUA
    + POST_PAGE_SCRIPT_LOCALS
    + f"local pending = KEYS[{len(POST_PAGE_SCRIPT_KEYS) + 1}]\n"
    + """
local stored_epoch, stored_generation = redis.call('GET', page_epoch), redis.call('GET', page_generation)
if not stored_epoch or not stored_generation then
  -- A page without its generation beside it (stored by an older release, or a small key was evicted) is
  -- dropped, so the render stores it again in full and the next reader gets the one round trip.
  redis.call('DEL', page)
  return nil
end
if stored_epoch ~= (redis.call('GET', epoch) or '0')
    or stored_generation ~= (redis.call('GET', section_generation) or '0') then
  return nil
end
local article = redis.call('GET', page_article)
local entry = redis.call('GET', page)
if not article or not entry then
  return nil
end
local prefix, visitor, day, address = ARGV[1], ARGV[2], ARGV[3], ARGV[6]
count_view(prefix .. 'seen:' .. article .. ':' .. visitor, prefix .. 'addr:' .. article .. ':' .. address, pending,
  prefix .. 'uv:' .. day .. ':' .. article, article .. ':' .. day, visitor, ARGV[4], ARGV[5], ARGV[7])
return entry
"""
)

# Move the pending hash aside under a new flush id; new views start a fresh pending hash meanwhile.
TAKE_LUA = """
if redis.call('EXISTS', KEYS[1]) == 0 then
  return 0
end
redis.call('RENAME', KEYS[1], KEYS[2])
redis.call('SADD', KEYS[3], ARGV[1])
return 1
"""

RELEASE_LUA = """
redis.call('DEL', KEYS[1])
redis.call('SREM', KEYS[2], ARGV[1])
return 1
"""


@functools.lru_cache(maxsize=8)
def client_for(url: str) -> redis.Redis:
    """A client (with its own connection pool) for the counter Redis at url."""
    return redis.Redis.from_url(
        url,
        socket_connect_timeout=SOCKET_TIMEOUT_SECONDS,
        socket_timeout=SOCKET_TIMEOUT_SECONDS,
        health_check_interval=30,
    )


def counter_client() -> redis.Redis:
    """The client for settings.REDIS_URL; only called when Redis is configured."""
    return client_for(settings.REDIS_URL)


@functools.lru_cache(maxsize=32)
def _script_for(url: str, source: str):
    return client_for(url).register_script(source)


def script(source: str):
    """A Lua script bound to the counter client, run with EVALSHA (sent in full only once)."""
    return _script_for(settings.REDIS_URL, source)


def inflight_key(flush_id: str) -> str:
    return f"{PREFIX}inflight:{flush_id}"


def visitors_key(day: date, article_id: int) -> str:
    return f"{PREFIX}uv:{day.isoformat()}:{article_id}"


def count_field(article_id: int, day: date) -> str:
    return f"{article_id}:{day.isoformat()}"


def parse_field(field: bytes | str) -> tuple[int, date]:
    """The (article id, day) of a pending-hash field."""
    text = field.decode() if isinstance(field, bytes) else field
    article_id, day = text.split(":", 1)
    return int(article_id), date.fromisoformat(day)


def seen_key(article_id: int, visitor: str) -> str:
    return f"{PREFIX}seen:{article_id}:{visitor}"


def address_key(article_id: int, address: str) -> str:
    return f"{PREFIX}addr:{article_id}:{address}"


def record(*, article_id: int, visitor: str, address: str, day: date) -> bool:
    """Count one view unless the visitor was seen on this post in the last 30 minutes, or its address already
    added VIEWS_PER_ADDRESS views to it in that window; True if counted."""
    keys = [seen_key(article_id, visitor), address_key(article_id, address), PENDING_KEY, visitors_key(day, article_id)]
    args = [count_field(article_id, day), visitor, DEDUPE_SECONDS, VISITORS_TTL_SECONDS, VIEWS_PER_ADDRESS]
    return bool(script(RECORD_LUA)(keys=keys, args=args))


def record_cached_page(*, page_keys: list[str], visitor: str, address: str, day: date) -> bytes | None:
    """The raw cached post page if current, its view counted as record() would; None, nothing counted, if not."""
    # page_keys: the full Redis names pagecache.post_page_redis_keys() gives, in POST_PAGE_SCRIPT_KEYS' order.
    args = [PREFIX, visitor, day.isoformat(), DEDUPE_SECONDS, VISITORS_TTL_SECONDS, address, VIEWS_PER_ADDRESS]
    return script(CACHED_PAGE_LUA)(keys=[*page_keys, PENDING_KEY], args=args)


def take() -> str | None:
    """Atomically move the pending counts to a new in-flight batch; its flush id, or None if nothing pended."""
    flush_id = uuid.uuid4().hex
    taken = script(TAKE_LUA)(keys=[PENDING_KEY, inflight_key(flush_id), INFLIGHT_SET_KEY], args=[flush_id])
    return flush_id if taken else None


def inflight_ids() -> list[str]:
    """Flush ids of batches taken earlier and not yet released (a flush stopped halfway), oldest order unknown."""
    return sorted(member.decode() for member in counter_client().smembers(INFLIGHT_SET_KEY))


def read_batch(flush_id: str) -> dict[tuple[int, date], tuple[int, int]]:
    """(article id, day) -> (views, unique visitors that day so far) for one in-flight batch."""
    client = counter_client()
    counts = {parse_field(field): int(views) for field, views in client.hgetall(inflight_key(flush_id)).items()}
    pipe = client.pipeline(transaction=False)
    for article_id, day in counts:
        pipe.pfcount(visitors_key(day, article_id))
    uniques = pipe.execute()
    return {key: (views, unique) for (key, views), unique in zip(counts.items(), uniques, strict=True)}


def release(flush_id: str) -> None:
    """Forget a batch whose counts are committed to the database."""
    script(RELEASE_LUA)(keys=[inflight_key(flush_id), INFLIGHT_SET_KEY], args=[flush_id])
