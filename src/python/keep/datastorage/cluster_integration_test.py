"""data-storage on a real 3-master Redis Cluster (REDIS_CLUSTER=true): the service and lockout
suites' tests, re-run here against the cluster, and a reveal race spread over every master."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Iterator

import grpc
import pytest

# The same tests as on one Redis: pytest runs them again with this module's fixtures.
from keep.datastorage.lockout_integration_test import (  # noqa: F401
    test_no_number_of_clients_can_destroy_or_lock_the_secret,
    test_parallel_wrong_guesses_lock_only_the_guesser,
)
from keep.datastorage.service_integration_test import (  # noqa: F401
    test_burn_destroys_without_revealing,
    test_concurrent_correct_reveals_have_exactly_one_winner,
    test_create_status_reveal_once,
    test_lockout_after_five_failures_is_per_client,
    test_unknown_expired_and_read_secrets_look_the_same,
    test_wrong_password_never_consumes,
)
from keep.platform.server import RunningServer
from keep.testing.datastorage import MARKER, Client, start_datastorage
from keep.testing.redis_cluster import RunningCluster, redis_cluster


@pytest.fixture(scope="module")
def redis_server() -> Iterator[RunningCluster]:
    with redis_cluster(masters=3) as running:
        yield running


@pytest.fixture
async def server(redis_server: RunningCluster) -> AsyncIterator[RunningServer]:
    running = await start_datastorage(redis_server)
    yield running
    await running.stop()


async def test_reveal_race_across_every_master(redis_server: RunningCluster) -> None:
    """30 secrets spread over the 3 masters' slots, 20 concurrent correct reveals of each from
    two servers: exactly one winner per secret."""
    servers = [await start_datastorage(redis_server) for _ in range(2)]
    clients = [Client(s.port, f"192.0.2.{i}") for i, s in enumerate(servers)]
    try:
        created = [await clients[0].create(MARKER + b"%d" % i) for i in range(30)]
        masters = {redis_server.master_of(f"keep:{{{c.id}}}:secret") for c in created}
        assert masters == set(redis_server.ports), "the secrets did not reach every master"
        results = await asyncio.gather(
            *(clients[i % 2].reveal(c.id, c.password) for c in created for i in range(20)),
            return_exceptions=True,
        )
        for n in range(len(created)):
            mine = results[n * 20 : (n + 1) * 20]
            outcomes = Counter(
                r.code().name if isinstance(r, grpc.aio.AioRpcError) else "ok" for r in mine
            )
            assert outcomes == {"ok": 1, "NOT_FOUND": 19}, outcomes
            assert next(r for r in mine if isinstance(r, bytes)) == MARKER + b"%d" % n
    finally:
        for s in servers:
            await s.stop()
