import asyncio
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace

import pytest
import redis.asyncio as aioredis

from keep.ratelimit.counter import CounterUnavailable, RedisCounter, Window, window_key
from keep.testing.redis_container import redis_container


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    with redis_container() as server:
        yield server.url


class Clock:
    def __init__(self, now: float):
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def client(redis_url: str) -> AsyncIterator[aioredis.Redis]:
    client = aioredis.Redis.from_url(redis_url)
    await client.flushall()
    yield client
    await client.aclose()


WINDOW = Window("keep", (("action", "create"), ("remote_address", "192.0.2.1")), 60)


async def test_counts_within_a_window_and_restarts_in_the_next(client: aioredis.Redis) -> None:
    clock = Clock(1_200_020.0)  # 20 s into a minute window (1_200_000 = 60 * 20_000)
    counter = RedisCounter(client, timeout=1, clock=clock)
    assert [c.count for c in await counter.hit([WINDOW])] == [1]
    (second,) = await counter.hit([replace(WINDOW, hits=2)])
    assert second.count == 3
    assert second.seconds_until_reset == pytest.approx(40)
    clock.now += 40  # the next window
    (fresh,) = await counter.hit([WINDOW])
    assert fresh.count == 1
    assert fresh.seconds_until_reset == pytest.approx(60)


async def test_every_key_expires_with_its_window(client: aioredis.Redis) -> None:
    counter = RedisCounter(client, timeout=1, clock=Clock(1_000_000.0))
    other = Window("keep", (("remote_address", "::1"),), 1)
    await counter.hit([WINDOW, other])
    keys = await client.keys("*")
    assert len(keys) == 2
    for key in keys:
        ttl = await client.ttl(key)
        assert 0 < ttl <= 62


def test_keys_escape_client_values() -> None:
    a = Window("keep", (("remote_address", "a|b=c"),), 60)
    b = Window("keep", (("remote_address", "a"), ("b", "c")), 60)
    assert window_key(a, 0) != window_key(b, 0)
    assert window_key(Window("keep", (("remote_address", "::1"),), 60), 0) == (
        "keep:rl:{keep:remote_address=%3A%3A1}:60:0"
    )


async def test_parallel_hits_are_counted_exactly_once_each(redis_url: str) -> None:
    # Atomicity, not speed, is under test: a generous timeout keeps a loaded CI machine from
    # turning a slow connect into a failure.
    counters = [RedisCounter.from_url(redis_url, timeout=10) for _ in range(8)]
    try:
        await counters[0]._client.flushall()
        results = await asyncio.gather(*(counters[i % 8].hit([WINDOW]) for i in range(200)))
        assert sorted(r[0].count for r in results) == list(range(1, 201))
    finally:
        for counter in counters:
            await counter.close()


async def test_unreachable_redis_fails_fast() -> None:
    from keep.devstack.ports import free_port

    counter = RedisCounter.from_url(f"redis://127.0.0.1:{free_port()}/0", timeout=0.3)
    loop = asyncio.get_running_loop()
    started = loop.time()
    with pytest.raises(CounterUnavailable):
        await counter.hit([WINDOW])
    assert loop.time() - started < 1.5
    assert await counter.ping() is False
    await counter.close()
