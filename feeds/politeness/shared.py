"""The host limiter every worker process and machine shares, in Redis: one Lua script per step, so two workers
never both take the last slot or the same start time.

Per host: a sorted set of leases (token -> lease end, ms), the next start time a request may have, the count of
consecutive failures, and a pause (until, why). Times come from the Redis server's clock, the one clock every
worker agrees on. A lease ends by itself: a worker that crashes mid-request frees its slot within `lease` seconds.
"""

import functools
import json
import uuid
from datetime import datetime

import redis

from feeds.politeness.state import HostPause, Reservation

PREFIX = "newsblog:polite:"
SOCKET_TIMEOUT_SECONDS = 2.0
# How long a host's failure count is kept without a new failure: a host that failed yesterday starts afresh.
FAILURES_KEPT_SECONDS = 24 * 3600

# KEYS: leases, next start, pause. ARGV: token, in flight, gap ms, lease ms.
# Returns {-1, pause json} while paused; {0, ms to the next start} with no slot now; {1, 0} with a slot taken.
# A slot is granted only when its start has come (never reserved ahead), so the gap is kept between the moments
# requests really start, however late a waiting worker wakes up.
RESERVE_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local pause = redis.call('GET', KEYS[3])
if pause then
  return {-1, pause}
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then
  return {0, 0}
end
local next_start = tonumber(redis.call('GET', KEYS[2]) or '0')
if next_start > now then
  return {0, next_start - now}
end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[4]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[4]))
redis.call('SET', KEYS[2], now + tonumber(ARGV[3]), 'PX', tonumber(ARGV[3]) + 1000)
return {1, 0}
"""

# KEYS: next start. ARGV: gap ms. The request really starts now: the next one waits a gap from here, however late
# this worker got here after its grant (a busy machine can hold a process back for a tenth of a second).
STARTED_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local after = now + tonumber(ARGV[1])
if after > tonumber(redis.call('GET', KEYS[1]) or '0') then
  redis.call('SET', KEYS[1], after, 'PX', tonumber(ARGV[1]) + 1000)
end
return 1
"""

# KEYS: leases, failures. ARGV: token, failed (0/1), failures kept (s). Returns the consecutive failures.
RELEASE_LUA = """
redis.call('ZREM', KEYS[1], ARGV[1])
if ARGV[2] == '1' then
  local failures = redis.call('INCR', KEYS[2])
  redis.call('EXPIRE', KEYS[2], tonumber(ARGV[3]))
  return failures
end
redis.call('DEL', KEYS[2])
return 0
"""

# KEYS: pause, paused-hosts index. ARGV: host, pause json, ms. A pause only ever grows longer.
PAUSE_LUA = """
local left = redis.call('PTTL', KEYS[1])
if left >= tonumber(ARGV[3]) then
  return 0
end
redis.call('SET', KEYS[1], ARGV[2], 'PX', tonumber(ARGV[3]))
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[3]), ARGV[1])
return 1
"""


@functools.lru_cache(maxsize=4)
def _client(url: str) -> redis.Redis:
    return redis.Redis.from_url(
        url, socket_connect_timeout=SOCKET_TIMEOUT_SECONDS, socket_timeout=SOCKET_TIMEOUT_SECONDS
    )


def _key(kind: str, host: str) -> str:
    return f"{PREFIX}{kind}:{host}"


def _pause_json(pause: HostPause) -> str:
    return json.dumps({"host": pause.host, "until": pause.until.isoformat(), "reason": pause.reason})


def _pause_from(raw: bytes | str) -> HostPause:
    data = json.loads(raw)
    return HostPause(host=data["host"], until=datetime.fromisoformat(data["until"]), reason=data["reason"])


class RedisHostLimiter:
    """At most `in_flight` requests at once and `gap` seconds between their starts, per host, across every worker."""

    def __init__(self, *, url: str, in_flight: int, gap: float, lease: float):
        self.in_flight, self.gap, self.lease = in_flight, gap, lease
        client = _client(url)
        self._redis = client
        self._reserve = client.register_script(RESERVE_LUA)
        self._release = client.register_script(RELEASE_LUA)
        self._started = client.register_script(STARTED_LUA)
        self._pause = client.register_script(PAUSE_LUA)

    def reserve(self, host: str) -> Reservation:
        token = uuid.uuid4().hex
        keys = [_key("leases", host), _key("next", host), _key("pause", host)]
        args = [token, self.in_flight, int(self.gap * 1000), int(self.lease * 1000)]
        granted, value = self._reserve(keys=keys, args=args)
        if granted == -1:
            return Reservation(pause=_pause_from(value))
        if granted == 0:
            return Reservation(delay=int(value) / 1000)
        return Reservation(token=token)

    def started(self, host: str) -> None:
        self._started(keys=[_key("next", host)], args=[int(self.gap * 1000)])

    def release(self, host: str, token: str, *, failed: bool) -> int:
        keys = [_key("leases", host), _key("failures", host)]
        return int(self._release(keys=keys, args=[token, "1" if failed else "0", FAILURES_KEPT_SECONDS]))

    def pause(self, host: str, pause: HostPause, seconds: float) -> None:
        keys = [_key("pause", host), f"{PREFIX}paused"]
        self._pause(keys=keys, args=[host, _pause_json(pause), max(int(seconds * 1000), 1)])

    def paused(self, host: str) -> HostPause | None:
        raw = self._redis.get(_key("pause", host))
        return _pause_from(raw) if raw else None

    def paused_hosts(self) -> list[HostPause]:
        hosts = [host.decode() for host in self._redis.zrange(f"{PREFIX}paused", 0, -1)]
        raws = self._redis.mget([_key("pause", host) for host in hosts]) if hosts else []
        return [_pause_from(raw) for raw in raws if raw]
