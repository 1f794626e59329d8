"""The fixtures data-storage's integration test modules share: a module-scoped Redis container
(`redis_server`) and a data-storage server per test on it (`server`).

A test module says `redis_server = redis_container_fixture()` and
`server = datastorage_fixture()`, then takes them as arguments."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from keep.platform.server import RunningServer
from keep.testing.datastorage import start_datastorage
from keep.testing.redis_container import RunningRedis, redis_container


def redis_container_fixture(*flags: str) -> Any:
    """`flags`: redis-server options, e.g. "--maxmemory", "4mb"."""

    def redis_server() -> Iterator[RunningRedis]:
        with redis_container(*flags) as running:
            yield running

    return pytest.fixture(scope="module", name="redis_server")(redis_server)


def datastorage_fixture(**settings: Any) -> Any:
    """`settings`: Settings fields for the server (e.g. tombstone_seconds=1)."""

    async def server(redis_server: RunningRedis) -> AsyncIterator[RunningServer]:
        running = await start_datastorage(redis_server, **settings)
        yield running
        await running.stop()

    return pytest.fixture(name="server")(server)
