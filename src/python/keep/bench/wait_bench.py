"""What WAIT for one replica (REDIS_WAIT_REPLICAS=1) costs data-storage's Redis calls.

    ./pants run src/python/keep/bench:wait -- --concurrency 16 --duration 5

Starts a primary and a replica (local redis-server processes, as in the devstack) and runs the
store's create + reveal commands (create script; reveal script) against the primary, without
WAIT and with WAIT 1 after the create and the reveal, alternating over
--rounds rounds in the same run (so drift in machine load hits both alike).
"""

from __future__ import annotations

import argparse
import asyncio
import os

import redis

from keep.bench.grpc_bench import load, store_round_trip
from keep.bench.stats import Results
from keep.datastorage.store import LockoutPolicy, Replication, SecretStore
from keep.devstack.embedded_redis import EmbeddedRedis
from keep.platform.redis import connect
from keep.platform.waiting import wait_until


async def bench(url: str, replicas: int, concurrency: int, duration: float) -> Results:
    store = SecretStore(
        connect(url, 1.0), LockoutPolicy(5, 600, 1800), 1.0, Replication(replicas, 500)
    )
    create_then_claim = store_round_trip(store, os.urandom(1024))

    try:
        await load("warm-up", 4, 0.5, create_then_claim)
        return await load("round", concurrency, duration, create_then_claim)
    finally:
        await store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--duration", type=float, default=3.0, help="seconds per measurement")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with (
        EmbeddedRedis() as primary,
        EmbeddedRedis(extra_args=("--replicaof", "127.0.0.1", str(primary.port))) as replica,
    ):
        replica_client = redis.Redis(port=replica.port)
        wait_until(
            lambda: replica_client.info("replication").get("master_link_status") == "up",
            what=f"replica on port {replica.port} linked to its primary",
            timeout=30,
        )
        without, with_wait = Results("no WAIT"), Results("WAIT 1")
        for _ in range(args.rounds):
            for total, replicas in ((without, 0), (with_wait, 1)):
                one = asyncio.run(bench(primary.url, replicas, args.concurrency, args.duration))
                total.latencies_ms += one.latencies_ms
                total.duration_seconds += one.duration_seconds
                total.errors += one.errors
    print(
        f"{args.concurrency} clients, {args.rounds} x {args.duration:.0f} s each, "
        "create + reveal commands"
    )
    for results in (without, with_wait):
        print(results.line())
    for p in (50, 99):
        ratio = with_wait.percentile(p) / without.percentile(p)
        print(f"p{p} latency with WAIT 1 / without: {ratio:.2f}")
    print(f"throughput with WAIT 1 / without: {with_wait.throughput / without.throughput:.2f}")


if __name__ == "__main__":
    main()
