"""Counts secrets that expired unread: Redis deletes them silently, so Keep keeps a ledger.

Per minute of expiry, a counter in Redis goes up when a secret is created and down when it is
revealed or burned. Once a minute is over, whatever is left expired unread; one `GETDEL` hands
that number to exactly one replica (whichever sweeps first), so the sum of
`keep_secrets_expired_unread_total` over replicas counts every secret once. Ledger keys expire
on their own a quarter of an hour after their minute, so a stopped fleet leaves nothing behind
(those minutes go uncounted). The ledger is metrics, never part of a request's outcome: its
errors are logged and counted, never raised.

Requests do not write to Redis themselves: each replica adds up its changes per minute in memory
and writes them every FLUSH_INTERVAL_SECONDS (two commands per minute that changed, instead of
two per request: these were 4 of the 9 Redis commands of a create and reveal), before every
sweep and when the service stops. A minute is swept SETTLE_MS after it ends, and every change
to it is at least that old by then (a secret lives at least a minute and is revealed before it
expires), so the delay never moves a secret into the wrong count; a replica killed without
warning loses its last second of changes, as a lost update always did."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict
from typing import Any

from prometheus_client import Counter
from redis.exceptions import RedisError

from keep.platform.redis import UNAVAILABLE_ERRORS

# Anything Redis can say no with (unreachable, full, ...): the ledger never fails a request.
_LEDGER_ERRORS = (RedisError, *UNAVAILABLE_ERRORS)

EXPIRED_UNREAD = Counter(
    "keep_secrets_expired_unread_total",
    "Secrets whose TTL ran out before anyone revealed or burned them.",
)
LEDGER_ERRORS = Counter(
    "keep_expiry_ledger_errors_total", "Ledger updates or sweeps that Redis refused or missed."
)

BUCKET_MS = 60_000
# A minute is swept once it is this far in the past (Redis expires keys within milliseconds).
SETTLE_MS = 5_000
# How far back each sweep looks, and how long a minute's key outlives the minute.
LOOKBACK_BUCKETS = 15
SWEEP_INTERVAL_SECONDS = 30.0
FLUSH_INTERVAL_SECONDS = 1.0

log = logging.getLogger(__name__)


def _bucket(expires_at_ms: int) -> int:
    return expires_at_ms // BUCKET_MS


def _key(bucket: int) -> str:
    return f"keep:stats:unread:{bucket}"


class ExpiryLedger:
    def __init__(self, redis: Any):
        self._redis = redis
        # Minute -> change not yet written to Redis.
        self._pending: defaultdict[int, int] = defaultdict(int)

    def created(self, expires_at_ms: int) -> None:
        self._pending[_bucket(expires_at_ms)] += 1

    def consumed(self, expires_at_ms: int) -> None:
        """The secret was revealed or burned before it expired."""
        self._pending[_bucket(expires_at_ms)] -= 1

    async def flush(self) -> None:
        """Writes the changes added up since the last flush."""
        pending, self._pending = self._pending, defaultdict(int)
        changed = {bucket: delta for bucket, delta in pending.items() if delta}
        if not changed:
            return
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                for bucket, delta in changed.items():
                    pipe.incrby(_key(bucket), delta)
                    pipe.pexpireat(_key(bucket), (bucket + 1 + LOOKBACK_BUCKETS) * BUCKET_MS)
                await pipe.execute()
        except _LEDGER_ERRORS as e:
            # Not repeated: the INCRBY may have happened (a counter is not idempotent).
            LEDGER_ERRORS.inc()
            log.warning("expiry ledger not updated", extra={"error": type(e).__name__})

    async def sweep(self, now_ms: int | None = None) -> int:
        """Counts the finished minutes of the last LOOKBACK_BUCKETS; returns how many expired."""
        await self.flush()
        now_ms = int(time.time() * 1000) if now_ms is None else now_ms
        last = _bucket(now_ms - SETTLE_MS) - 1
        buckets = range(last - LOOKBACK_BUCKETS + 1, last + 1)
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                for bucket in buckets:
                    pipe.getdel(_key(bucket))
                values = await pipe.execute()
        except _LEDGER_ERRORS as e:
            LEDGER_ERRORS.inc()
            log.warning("expiry ledger not swept", extra={"error": type(e).__name__})
            return 0
        # Negative only for secrets created before the ledger existed.
        expired = sum(max(0, int(v)) for v in values if v is not None)
        EXPIRED_UNREAD.inc(expired)
        return expired

    async def run(
        self,
        sweep_interval: float = SWEEP_INTERVAL_SECONDS,
        flush_interval: float = FLUSH_INTERVAL_SECONDS,
    ) -> None:
        """Flushes and sweeps until cancelled."""
        loop = asyncio.get_running_loop()
        next_sweep = loop.time()
        while True:
            if loop.time() >= next_sweep:
                await self.sweep()  # flushes first
                next_sweep = loop.time() + sweep_interval
            else:
                await self.flush()
            await asyncio.sleep(flush_interval)
