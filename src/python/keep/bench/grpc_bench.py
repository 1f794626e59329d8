"""Benchmark data-storage over gRPC, and the same Redis commands straight through redis-py.

    ./pants run src/python/keep/bench:grpc -- --concurrency 64 --duration 10

Each of N clients repeatedly creates a secret (1 KiB by default) and reveals it, so half the
requests are creates and half reveals. Two measurements per path: saturation (every client sends
as fast as it gets answers) and a fixed offered load (--rate requests/s over all clients, latency
counted from when a request was due, so queueing behind a slow server is not hidden). Without
--target, it starts the local stack (keep.localstack) against --redis-url (default: an embedded
redis-server).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import subprocess
import time
from collections.abc import Awaitable, Callable

import grpc

from keep.bench.stats import Results
from keep.datastorage import crypto
from keep.datastorage.store import LockoutPolicy, SecretStore, StoredSecret
from keep.datastorage.v1 import datastorage_pb2 as pb
from keep.datastorage.v1 import datastorage_pb2_grpc as pb_grpc
from keep.localstack.stack import Stack
from keep.platform.redis import connect

# One step sends two requests (create, then reveal); it gets the time it was due to start.
Operation = Callable[[Results, float], Awaitable[None]]
REQUESTS_PER_STEP = 2


async def load(
    name: str, concurrency: int, duration: float, step: Operation, rate: float | None = None
) -> Results:
    """Runs `step` from `concurrency` clients for `duration` s: back to back, or paced so that
    all clients together offer `rate` requests/s."""
    results = Results(name)
    started = time.perf_counter()
    deadline = started + duration
    interval = concurrency * REQUESTS_PER_STEP / rate if rate else 0.0

    async def client(index: int) -> None:
        due = started + interval * index / concurrency
        while due < deadline:
            if interval:
                await asyncio.sleep(max(0.0, due - time.perf_counter()))
            else:
                due = time.perf_counter()
            await step(results, due)
            due += interval

    await asyncio.gather(*(client(i) for i in range(concurrency)))
    results.duration_seconds = time.perf_counter() - started
    return results


def timed(results: Results, started: float) -> None:
    results.latencies_ms.append((time.perf_counter() - started) * 1000)


async def bench_grpc(
    target: str, concurrency: int, duration: float, payload: bytes, rate: float | None
) -> Results:
    async with grpc.aio.insecure_channel(target) as channel:
        stub = pb_grpc.DataStorageServiceStub(channel)

        async def create_then_reveal(results: Results, due: float) -> None:
            try:
                created = await stub.CreateSecret(
                    pb.CreateSecretRequest(payload=payload), timeout=5
                )
                timed(results, due)
                started = time.perf_counter()
                await stub.RevealSecret(
                    pb.RevealSecretRequest(id=created.id, password=created.password), timeout=5
                )
                timed(results, started)
            except grpc.aio.AioRpcError as e:
                results.errors[e.code().name] += 1

        await load("warm-up", 8, 1.0, create_then_reveal)
        label = f"gRPC at {rate:.0f} req/s offered" if rate else "gRPC saturated"
        return await load(label, concurrency, duration, create_then_reveal, rate)


async def bench_redis(redis_url: str, concurrency: int, duration: float, payload: bytes) -> Results:
    """The Redis commands one create+reveal issues (SET NX PXAT; GET+PTTL; claim script),
    without gRPC or encryption in the way."""
    store = SecretStore(connect(redis_url, 1.0), LockoutPolicy(5, 600, 1800, 20), 1.0)
    record = crypto.seal(payload, crypto.new_id(), crypto.new_password(), 0)

    async def create_then_claim(results: Results, due: float) -> None:
        secret_id = secrets.token_urlsafe(16)
        sealed = crypto.SealedRecord(
            int(time.time() * 1000) + 3_600_000, record.salt, record.nonce, record.ciphertext
        )
        await store.create(secret_id, sealed)
        timed(results, due)
        started = time.perf_counter()
        stored = await store.get(secret_id)
        assert stored is not None
        await store.claim(secret_id, StoredSecret(stored.raw, stored.record, 0))
        timed(results, started)

    try:
        return await load("redis-py, same commands", concurrency, duration, create_then_claim)
    finally:
        await store.close()


async def run(args: argparse.Namespace, redis_url: str, target: str) -> None:
    payload = os.urandom(args.payload_bytes)
    saturated = await bench_grpc(target, args.concurrency, args.duration, payload, None)
    paced = await bench_grpc(target, args.concurrency, args.duration, payload, args.rate)
    redis_results = await bench_redis(redis_url, args.concurrency, args.duration, payload)
    print(
        f"{args.concurrency} clients, {args.duration:.0f} s each, {args.payload_bytes} B payloads"
    )
    for results in (saturated, paced, redis_results):
        print(results.line())
    if redis_results.throughput:
        ratio = saturated.throughput / redis_results.throughput
        print(f"saturated gRPC service / raw redis-py throughput: {ratio:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per measurement")
    parser.add_argument("--payload-bytes", type=int, default=1024)
    parser.add_argument("--rate", type=float, default=1000.0, help="offered load, requests/s")
    parser.add_argument("--target", help="host:port of a running data-storage (default: start one)")
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL"))
    args = parser.parse_args()
    if args.target:
        if not args.redis_url:
            parser.error("--target needs --redis-url (the raw redis-py comparison uses it)")
        asyncio.run(run(args, args.redis_url, args.target))
        return
    with Stack(redis_url=args.redis_url, http_port=0, output=subprocess.DEVNULL) as stack:
        assert stack.redis_url is not None
        asyncio.run(run(args, stack.redis_url, f"127.0.0.1:{stack.ports['datastorage']}"))


if __name__ == "__main__":
    main()
