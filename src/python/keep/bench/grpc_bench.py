"""Benchmark data-storage over gRPC, and the same Redis commands straight through redis-py.

    ./pants run src/python/keep/bench:grpc -- --concurrency 64 --duration 10

Closed loop: each of N clients repeatedly creates a secret (1 KiB by default) and reveals it,
so half the requests are creates and half reveals. Without --target, the benchmark starts its
own data-storage process against --redis-url (default: an embedded redis-server).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import time
from collections.abc import Awaitable, Callable

import grpc

from keep.bench.processes import embedded_redis, service_process
from keep.bench.stats import Results
from keep.datastorage import crypto
from keep.datastorage.store import LockoutPolicy, SecretStore, StoredSecret, connect
from keep.datastorage.v1 import datastorage_pb2 as pb
from keep.datastorage.v1 import datastorage_pb2_grpc as pb_grpc

Operation = Callable[[Results], Awaitable[None]]


async def closed_loop(name: str, concurrency: int, duration: float, step: Operation) -> Results:
    results = Results(name)
    deadline = time.perf_counter() + duration

    async def client() -> None:
        while time.perf_counter() < deadline:
            await step(results)

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(concurrency)))
    results.duration_seconds = time.perf_counter() - started
    return results


def timed(results: Results, started: float) -> None:
    results.latencies_ms.append((time.perf_counter() - started) * 1000)


async def bench_grpc(target: str, concurrency: int, duration: float, payload: bytes) -> Results:
    async with grpc.aio.insecure_channel(target) as channel:
        stub = pb_grpc.DataStorageServiceStub(channel)

        async def create_then_reveal(results: Results) -> None:
            try:
                started = time.perf_counter()
                created = await stub.CreateSecret(
                    pb.CreateSecretRequest(payload=payload), timeout=5
                )
                timed(results, started)
                started = time.perf_counter()
                await stub.RevealSecret(
                    pb.RevealSecretRequest(id=created.id, password=created.password), timeout=5
                )
                timed(results, started)
            except grpc.aio.AioRpcError as e:
                results.errors[e.code().name] += 1

        await closed_loop("gRPC create+reveal", 8, 1.0, create_then_reveal)  # warm-up
        return await closed_loop("gRPC create+reveal", concurrency, duration, create_then_reveal)


async def bench_redis(redis_url: str, concurrency: int, duration: float, payload: bytes) -> Results:
    """The Redis commands one create+reveal issues (SET NX PXAT; GET+PTTL; claim script),
    without gRPC or encryption in the way."""
    store = SecretStore(connect(redis_url, 1.0), LockoutPolicy(5, 600, 1800, 20))
    record = crypto.seal(payload, crypto.new_id(), crypto.new_password(), 0)

    async def create_then_claim(results: Results) -> None:
        secret_id = secrets.token_urlsafe(16)
        sealed = crypto.SealedRecord(
            int(time.time() * 1000) + 3_600_000, record.salt, record.nonce, record.ciphertext
        )
        started = time.perf_counter()
        await store.create(secret_id, sealed)
        timed(results, started)
        started = time.perf_counter()
        stored = await store.get(secret_id)
        assert stored is not None
        await store.claim(secret_id, StoredSecret(stored.raw, stored.record, 0))
        timed(results, started)

    try:
        return await closed_loop("redis-py same commands", concurrency, duration, create_then_claim)
    finally:
        await store.close()


async def run(args: argparse.Namespace, redis_url: str, target: str) -> None:
    payload = os.urandom(args.payload_bytes)
    grpc_results = await bench_grpc(target, args.concurrency, args.duration, payload)
    redis_results = await bench_redis(redis_url, args.concurrency, args.duration, payload)
    print(
        f"concurrency {args.concurrency}, {args.duration:.0f} s each, {args.payload_bytes} B payloads"
    )
    print(grpc_results.line())
    print(redis_results.line())
    if redis_results.throughput:
        print(
            f"gRPC service / raw redis-py throughput: {grpc_results.throughput / redis_results.throughput:.2f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per measurement")
    parser.add_argument("--payload-bytes", type=int, default=1024)
    parser.add_argument("--target", help="host:port of a running data-storage (default: start one)")
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL"))
    args = parser.parse_args()
    with embedded_redis(args.redis_url) as redis_url:
        if args.target:
            asyncio.run(run(args, redis_url, args.target))
            return
        with service_process("datastorage", {"REDIS_URL": redis_url}) as port:
            asyncio.run(run(args, redis_url, f"127.0.0.1:{port}"))


if __name__ == "__main__":
    main()
