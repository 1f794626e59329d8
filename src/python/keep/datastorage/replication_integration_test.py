"""REDIS_WAIT_REPLICAS against a real primary and replica (local redis-server processes): a
create or reveal succeeds only once the replica has it, and fails closed when it cannot."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import redis

from keep.devstack.embedded_redis import EmbeddedRedis
from keep.testing.datastorage import MARKER, Client, Code, code_of, start_datastorage


def _replica_of(primary: EmbeddedRedis, port: int = 0) -> EmbeddedRedis:
    replica = EmbeddedRedis(port, ("--replicaof", "127.0.0.1", str(primary.port))).start()
    deadline = time.monotonic() + 10
    client = redis.Redis(port=replica.port)
    while client.info("replication").get("master_link_status") != "up":
        assert time.monotonic() < deadline, "the replica did not sync"
        time.sleep(0.05)
    return replica


@pytest.fixture
def primary() -> Iterator[EmbeddedRedis]:
    with EmbeddedRedis() as running:
        yield running


async def test_wait_for_one_replica_fails_closed(primary: EmbeddedRedis) -> None:
    replica = _replica_of(primary)
    server = await start_datastorage(primary.url, redis_wait_replicas=1)
    client = Client(server.port, "192.0.2.5")
    try:
        created = await client.create()
        on_replica = redis.Redis(port=replica.port)
        key = f"keep:{{{created.id}}}:secret"
        assert on_replica.exists(key), "the create returned before the replica had it"
        assert await client.reveal(created.id, created.password) == MARKER + b"hello"
        assert not on_replica.exists(key), "the reveal returned before the replica lost it"

        pending = await client.create()
        replica.stop()  # now no replica can confirm anything: fail closed
        assert await code_of(client.create()) is Code.UNAVAILABLE
        # A wrong guess is answered (and counted) without waiting for a replica.
        assert await code_of(client.reveal(pending.id, "wrong")) is Code.PERMISSION_DENIED
        key_ = "reveal-while-alone"
        assert await code_of(client.reveal(pending.id, pending.password, key_)) is Code.UNAVAILABLE
        # The reader repeats (same key) once a replica is back: the payload, and now durable.
        replica = _replica_of(primary, replica.port)
        assert await client.reveal(pending.id, pending.password, key_) == MARKER + b"hello"
        assert await code_of(client.reveal(pending.id, pending.password)) is Code.NOT_FOUND
    finally:
        await server.stop()
        replica.stop()


def test_wait_needs_a_timeout_below_the_redis_timeout() -> None:
    from keep.datastorage.settings import Settings

    with pytest.raises(ValueError, match="below REDIS_TIMEOUT_SECONDS"):
        Settings.model_validate({"redis_wait_replicas": 1, "redis_wait_timeout_ms": 500})
    with pytest.raises(ValueError, match="not supported with REDIS_CLUSTER"):
        Settings.model_validate({"redis_wait_replicas": 1, "redis_cluster": True})
