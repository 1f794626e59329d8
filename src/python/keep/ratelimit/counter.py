"""Fixed-window counters in Redis: one key per (descriptor, window), expiring with the window.

Each key is incremented inside a Lua script, so concurrent requests can never both see the same
count (no over-admission). On one Redis, all keys of a request go to one script (one round
trip); on a Redis Cluster, keys are hash-tagged by descriptor (`keep:rl:{<domain>:<path>}:...`),
so the windows of one descriptor share a slot and each slot's keys go to one script, in
parallel.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import quote

import redis.asyncio as aioredis
from redis.asyncio import RedisCluster
from redis.crc import key_slot
from redis.exceptions import RedisError

from keep.platform.redis import connect, load_scripts, ping

# INCRBY every key by its own hits (0 = check without counting); a key without a TTL gets one,
# so nothing outlives its window (+ slack). ARGV = hits of each key, then the TTL of each key.
_HIT_SCRIPT = """
local counts = {}
local n = #KEYS
for i, key in ipairs(KEYS) do
  counts[i] = redis.call('INCRBY', key, ARGV[i])
  if redis.call('TTL', key) < 0 then
    redis.call('EXPIRE', key, ARGV[n + i])
  end
end
return counts
"""

# Clocks of replicas differ a little; keys live this much longer than their window.
_TTL_SLACK_SECONDS = 2


class CounterUnavailable(Exception):
    """Redis did not answer in time (down, unreachable or overloaded)."""


@dataclass(frozen=True)
class Window:
    """One counter to hit: which descriptor, its window length, and by how much."""

    domain: str
    entries: tuple[tuple[str, str], ...]
    seconds: int
    hits: int = 1


@dataclass(frozen=True)
class Count:
    count: int
    seconds_until_reset: float


def window_key(window: Window, start: int) -> str:
    # Values are client data (IPs contain ':'), so every part is escaped: keys cannot collide.
    # `{...}` is the Redis Cluster hash tag; quote() escapes braces in client data.
    path = "|".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in window.entries)
    return f"keep:rl:{{{quote(window.domain, safe='')}:{path}}}:{window.seconds}:{start}"


class RedisCounter:
    def __init__(
        self,
        client: aioredis.Redis,
        timeout: float,
        clock: Callable[[], float] = time.time,
    ):
        self._client = client
        self._script = client.register_script(_HIT_SCRIPT)
        self._script_loaded = False
        self._timeout = timeout
        self._clock = clock

    @classmethod
    def from_url(cls, url: str, timeout: float, cluster: bool = False) -> RedisCounter:
        # Pipelined: every request is one small script call, so concurrent requests' calls
        # share a connection and a write (one send per event-loop turn, not one per request).
        return cls(connect(url, timeout, cluster=cluster, pipelined=True), timeout)

    async def hit(self, windows: Sequence[Window]) -> list[Count]:
        if not windows:
            return []
        now = self._clock()
        starts = [int(now // w.seconds) * w.seconds for w in windows]
        keys = [window_key(w, s) for w, s in zip(windows, starts, strict=True)]
        ttls = [w.seconds + _TTL_SLACK_SECONDS for w in windows]
        hits = [w.hits for w in windows]
        counts: list[int] = [0] * len(keys)
        groups = self._by_slot(keys)
        try:
            async with asyncio.timeout(self._timeout * 2):
                if not self._script_loaded:
                    await load_scripts(self._client, _HIT_SCRIPT)
                    self._script_loaded = True
                results = await asyncio.gather(
                    *(
                        self._script(
                            keys=[keys[i] for i in group],
                            args=[*(hits[i] for i in group), *(ttls[i] for i in group)],
                        )
                        for group in groups
                    )
                )
        except (RedisError, OSError, TimeoutError) as e:
            raise CounterUnavailable(type(e).__name__) from e
        for group, result in zip(groups, results, strict=True):
            for i, count in zip(group, result, strict=True):
                counts[i] = int(count)
        return [
            Count(int(c), s + w.seconds - now)
            for c, s, w in zip(counts, starts, windows, strict=True)
        ]

    def _by_slot(self, keys: list[str]) -> list[list[int]]:
        """Indexes of `keys` grouped so each group can go to one script: all of them on one
        Redis, one group per hash slot on a cluster."""
        if not isinstance(self._client, RedisCluster):
            return [list(range(len(keys)))]
        groups: dict[int, list[int]] = {}
        for i, key in enumerate(keys):
            groups.setdefault(key_slot(key.encode()), []).append(i)
        return list(groups.values())

    async def ping(self) -> bool:
        return await ping(self._client, self._timeout * 2)

    async def close(self) -> None:
        await self._client.aclose()
