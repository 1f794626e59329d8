"""ratelimit on a real 3-master Redis Cluster (REDIS_CLUSTER=true): the service suite's tests,
re-run here against the cluster, and one request whose descriptors live on different masters."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from keep.ratelimit.counter import RedisCounter, Window, window_key

# The same tests as on one Redis: pytest runs them again with this module's `redis_server`.
from keep.ratelimit.service_test import (  # noqa: F401
    stub,
    test_admits_up_to_the_limit_then_says_over_limit,
    test_hits_addend_and_one_status_per_descriptor,
    test_invalid_requests,
    test_no_over_admission_under_parallel_requests,
    test_unknown_domain_and_unlimited_rules_are_never_limited,
)
from keep.testing.redis_cluster import RunningCluster, redis_cluster


@pytest.fixture(scope="module")
def redis_server() -> Iterator[RunningCluster]:
    with redis_cluster(masters=3) as running:
        yield running


async def test_one_request_counts_on_every_master(redis_server: RunningCluster) -> None:
    """12 descriptors of one request, spread over the 3 masters: each counted exactly once per
    hit even with 20 parallel requests, and every key expires."""
    windows = [Window("keep", (("remote_address", f"192.0.2.{i}"),), 60) for i in range(12)]
    masters = {redis_server.master_of(window_key(w, 0)) for w in windows}
    assert masters == set(redis_server.ports), "the descriptors did not reach every master"
    counter = RedisCounter.from_url(redis_server.url, timeout=5, cluster=True)
    try:
        results = await asyncio.gather(*(counter.hit(windows) for _ in range(20)))
    finally:
        await counter.close()
    for i in range(len(windows)):
        assert sorted(r[i].count for r in results) == list(range(1, 21))
    client = redis_server.client()
    keys = list(client.scan_iter(match="keep:rl:*"))
    assert len(keys) == len(windows)
    assert all(0 < client.ttl(k) <= 62 for k in keys)
