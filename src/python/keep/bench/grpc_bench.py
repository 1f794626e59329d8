"""Benchmark data-storage over gRPC against a bare grpc.aio echo server, echo + one Redis round
trip, and raw redis-py.

    ./pants run src/python/keep/bench:grpc -- --concurrency 64 --duration 10

Each of N clients repeatedly creates a secret (1 KiB by default) and reveals it, so half the
requests are creates and half reveals. Two measurements per path: saturation (every client sends
as fast as it gets answers) and a fixed offered load (--rate requests/s over all clients, latency
counted from when a request was due, so queueing behind a slow server is not hidden). Without
--target, it starts the local stack (keep.devstack) against --redis-url (default: an embedded
redis-server).

Absolute figures move between machines; the ratios printed at the end do not, because each
baseline runs in the same process, against the same cores, in the same run: the same client
against keep.bench.echo (the grpc.aio ceiling), against keep.bench.echo_redis (echo plus one
Redis script call per RPC through data-storage's Redis client: the floor of any grpc.aio + Redis
implementation of this API), and the same Redis commands through redis-py.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass

import grpc

from keep.bench import echo, echo_redis
from keep.bench.echo import Server
from keep.bench.py_spy import profiling
from keep.bench.ratios import median_ratios, ratio
from keep.bench.stats import Results, cpu_seconds, cpu_seconds_each, load_average
from keep.datastorage import crypto
from keep.datastorage.outcomes import Claimed
from keep.datastorage.store import TOKEN_BYTES, LockoutPolicy, SecretStore
from keep.datastorage.v1 import datastorage_pb2 as pb
from keep.datastorage.v1 import datastorage_pb2_grpc as pb_grpc
from keep.devstack.stack import Stack
from keep.platform.redis import connect

ECHO_REDIS = "echo + one Redis call"
# One step sends two requests (create, then reveal); it gets the time it was due to start.
Operation = Callable[[Results, float], Awaitable[None]]
REQUESTS_PER_STEP = 2


async def load(
    name: str,
    concurrency: int,
    duration: float,
    step: Operation,
    rate: float | None = None,
    server_pids: Sequence[int] = (),
    process_pids: Mapping[str, int] | None = None,
) -> Results:
    """Runs `step` from `concurrency` clients for `duration` s: back to back, or paced so that
    all clients together offer `rate` requests/s. With `server_pids`, also counts the CPU time
    those processes spent meanwhile; with `process_pids`, the CPU time of each one by name."""
    results = Results(name)
    cpu_before = cpu_seconds(server_pids)
    each_before = cpu_seconds_each(process_pids or {})
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
    if server_pids:
        results.server_cpu_seconds = cpu_seconds(server_pids) - cpu_before
    each_after = cpu_seconds_each(process_pids or {})
    results.cpu_seconds_by_process = {n: each_after[n] - each_before[n] for n in each_before}
    return results


def timed(results: Results, started: float) -> None:
    results.latencies_ms.append((time.perf_counter() - started) * 1000)


async def bench_grpc(
    target: str,
    concurrency: int,
    duration: float,
    payload: bytes,
    rate: float | None,
    name: str = "gRPC",
    server_pids: Sequence[int] = (),
    process_pids: Mapping[str, int] | None = None,
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
        label = f"{name} at {rate:.0f} req/s offered" if rate else f"{name} saturated"
        return await load(
            label, concurrency, duration, create_then_reveal, rate, server_pids, process_pids
        )


def store_round_trip(store: SecretStore, payload: bytes) -> Operation:
    """One create+reveal as the store issues it (create script; reveal script), timed into the
    results like a request."""
    record = crypto.seal(payload, crypto.new_id(), crypto.new_password(), 0)
    verifier = crypto.claim_verifier(crypto.new_id(), crypto.new_password())

    async def create_then_claim(results: Results, due: float) -> None:
        secret_id = secrets.token_urlsafe(16)
        sealed = crypto.SealedRecord(
            int(time.time() * 1000) + 3_600_000, record.salt, record.nonce, record.ciphertext
        )
        await store.create(secret_id, sealed, verifier)
        timed(results, due)
        started = time.perf_counter()
        revealed = await store.reveal(
            secret_id, "bench", verifier, secrets.token_bytes(TOKEN_BYTES)
        )
        assert isinstance(revealed, Claimed)
        timed(results, started)

    return create_then_claim


async def bench_redis(redis_url: str, concurrency: int, duration: float, payload: bytes) -> Results:
    """The Redis commands one create+reveal issues (create script; reveal script), without gRPC
    or encryption in the way."""
    store = SecretStore(connect(redis_url, 1.0), LockoutPolicy(5, 600, 1800), 1.0)
    create_then_claim = store_round_trip(store, payload)
    try:
        return await load("redis-py, same commands", concurrency, duration, create_then_claim)
    finally:
        await store.close()


@dataclass
class Measured:
    echo: list[Results]  # one per round, alternating with `echo_redis` and `saturated`
    echo_redis: list[Results]
    saturated: list[Results]
    paced: Results
    redis: Results

    def all(self) -> list[Results]:
        rounds = zip(self.echo, self.echo_redis, self.saturated, strict=True)
        return [*(r for one in rounds for r in one), self.paced, self.redis]


async def measure(
    args: argparse.Namespace,
    redis_url: str,
    service: Server,
    echo_server: Server,
    echo_redis_server: Server,
) -> Measured:
    payload = os.urandom(args.payload_bytes)
    n, seconds = args.concurrency, args.duration
    echo_runs: list[Results] = []
    echo_redis_runs: list[Results] = []
    saturated_runs: list[Results] = []
    # Alternating rounds: a burst of other work on the machine hits both sides of a ratio.
    for _ in range(args.rounds):
        echo_runs.append(
            await bench_grpc(echo_server.target, n, seconds, payload, None, "echo (bare grpc.aio)",
                             echo_server.pids)
        )  # fmt: skip
        echo_redis_runs.append(
            await bench_grpc(echo_redis_server.target, n, seconds, payload, None, ECHO_REDIS,
                             echo_redis_server.pids)
        )  # fmt: skip
        with profiling(args.py_spy if not saturated_runs else None, service.pids, seconds):
            saturated_runs.append(
                await bench_grpc(service.target, n, seconds, payload, None, "data-storage",
                                 service.pids)
            )  # fmt: skip
    paced = await bench_grpc(
        service.target, n, seconds, payload, args.rate, "data-storage", service.pids
    )
    redis_results = await bench_redis(redis_url, n, seconds, payload)
    return Measured(echo_runs, echo_redis_runs, saturated_runs, paced, redis_results)


def report(args: argparse.Namespace, measured: Measured) -> None:
    print(
        f"{args.concurrency} clients, {args.duration:.0f} s each, {args.payload_bytes} B payloads"
    )
    for result in measured.all():
        print(result.line())
    pairs = list(zip(measured.saturated, measured.echo, strict=True))
    by_throughput = statistics.median(ratio(ds, echo) for ds, echo in pairs)
    print(f"data-storage / echo, saturated throughput: {by_throughput:.2f} (target >= 0.6)")
    cpu = [(ds.server_cpu_ms_per_request, echo.server_cpu_ms_per_request) for ds, echo in pairs]
    if all(ds and echo for ds, echo in cpu):
        by_cpu = statistics.median(echo / ds for ds, echo in cpu if ds and echo)
        print(f"data-storage / echo, by server CPU per request: {by_cpu:.2f} (same target)")
    print_ratios("data-storage / (echo + Redis)", measured.saturated, measured.echo_redis)
    print_ratios("(echo + Redis) / echo", measured.echo_redis, measured.echo)
    print(
        f"data-storage p99 at {args.rate:.0f} req/s offered: "
        f"{measured.paced.percentile(99):.1f} ms (target <= 50 ms)"
    )
    redis_ratio = statistics.median(ratio(ds, measured.redis) for ds in measured.saturated)
    print(f"data-storage / raw redis-py, saturated: {redis_ratio:.2f}")
    print(f"load average (1, 5, 15 min) at the end: {load_average()}")


def print_ratios(label: str, measured: list[Results], baseline: list[Results]) -> None:
    """`label`, saturated: measured / baseline by throughput and by server CPU per request."""
    by_throughput, by_cpu = median_ratios(measured, baseline, lambda r: r.server_cpu_ms_per_request)
    cpu = f", by server CPU per request: {by_cpu:.2f}" if by_cpu is not None else ""
    print(f"{label}, saturated throughput: {by_throughput:.2f}{cpu}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per measurement")
    parser.add_argument("--payload-bytes", type=int, default=1024)
    parser.add_argument("--rate", type=float, default=1000.0, help="offered load, requests/s")
    parser.add_argument("--target", help="host:port of a running data-storage (default: start one)")
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL"))
    parser.add_argument(
        "--py-spy", metavar="OUTPUT",
        help="profile data-storage with py-spy --native during the first saturated run",
    )  # fmt: skip
    parser.add_argument(
        "--rounds", type=int, default=1,
        help="alternate echo and data-storage saturated runs this many times (median ratio)",
    )  # fmt: skip
    args = parser.parse_args(argv)
    if args.target and not args.redis_url:
        parser.error("--target needs --redis-url (the raw redis-py comparison uses it)")
    with ExitStack() as running:
        echo_server = running.enter_context(echo.running())
        if args.target:
            redis_url = args.redis_url
            service = Server(args.target, ())
        else:
            stack = running.enter_context(
                Stack(redis_url=args.redis_url, http_port=0, output=subprocess.DEVNULL)
            )
            assert stack.redis_url is not None
            redis_url = stack.redis_url
            service = Server(
                f"127.0.0.1:{stack.ports['datastorage']}", (stack.processes["datastorage"].pid,)
            )
        # The same Redis as data-storage's.
        echo_redis_server = running.enter_context(echo_redis.running(redis_url))
        measured = asyncio.run(measure(args, redis_url, service, echo_server, echo_redis_server))
    report(args, measured)
    return 1 if any(r.errors for r in measured.all()) else 0


if __name__ == "__main__":
    sys.exit(main())
