"""Fixed-window counters in Redis: one key per (descriptor, window), expiring with the window.

All keys of one request are incremented by a single Lua script, so a request is counted
atomically and concurrent requests can never both see the same count (no over-admission).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import quote

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from keep.platform.redis import connect, ping

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
    path = "|".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in window.entries)
    return f"keep:rl:{quote(window.domain, safe='')}:{path}:{window.seconds}:{start}"


class RedisCounter:
    def __init__(
        self,
        client: aioredis.Redis,
        timeout: float,
        clock: Callable[[], float] = time.time,
    ):
        self._client = client
        self._script = client.register_script(_HIT_SCRIPT)
        self._timeout = timeout
        self._clock = clock

    @classmethod
    def from_url(cls, url: str, timeout: float) -> RedisCounter:
        return cls(connect(url, timeout), timeout)

    async def hit(self, windows: Sequence[Window]) -> list[Count]:
        if not windows:
            return []
        now = self._clock()
        starts = [int(now // w.seconds) * w.seconds for w in windows]
        keys = [window_key(w, s) for w, s in zip(windows, starts, strict=True)]
        ttls = [w.seconds + _TTL_SLACK_SECONDS for w in windows]
        try:
            async with asyncio.timeout(self._timeout * 2):
                hits = [w.hits for w in windows]
                counts = await self._script(keys=keys, args=[*hits, *ttls])
        except (RedisError, OSError, TimeoutError) as e:
            raise CounterUnavailable(type(e).__name__) from e
        return [
            Count(int(c), s + w.seconds - now)
            for c, s, w in zip(counts, starts, windows, strict=True)
        ]

    async def ping(self) -> bool:
        return await ping(self._client, self._timeout * 2)

    async def close(self) -> None:
        await self._client.aclose()
