"""Benchmark the HTTP path: create + reveal through the gateway (the curl contract), next to
the gRPC path into data-storage.

    ./pants run src/python/keep/bench:http -- --concurrency 64 --duration 10
    ./pants run src/python/keep/bench:http -- --target http://localhost:8080 --no-grpc

Each of N clients repeatedly POSTs a secret to / and POSTs its password to the returned URL,
so half the requests are creates and half reveals. Measurements as in grpc_bench (same load
loop and statistics): saturated, and a fixed offered load (--rate requests/s, latency from the
time a request was due). Without --target it starts the whole stack (embedded Redis unless
--redis-url) with rate limits far above the load -- still matched and counted in Redis, so the
ratelimit round trip is part of every measured request -- and, unless --no-grpc, measures
data-storage over gRPC in the same stack for comparison.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

from keep.bench.grpc_bench import bench_grpc, load, timed
from keep.bench.stats import Results
from keep.devstack.stack import Stack

HIGH_LIMITS = """
domain: keep
descriptors:
  - key: action
    value: create
    descriptors:
      - {key: remote_address, rate_limit: {unit: second, requests_per_unit: 1000000000}}
  - key: action
    value: reveal
    descriptors:
      - {key: remote_address, rate_limit: {unit: second, requests_per_unit: 1000000000}}
"""


async def bench_http(
    url: str, concurrency: int, duration: float, payload: bytes, rate: float | None
) -> Results:
    connector = aiohttp.TCPConnector(limit=concurrency)
    timeout = aiohttp.ClientTimeout(total=10)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:

        async def create_then_reveal(results: Results, due: float) -> None:
            try:
                async with session.post(url + "/", data=payload) as response:
                    if response.status != 201:
                        results.errors[f"create {response.status}"] += 1
                        return
                    created = await response.json()
                timed(results, due)
                started = time.perf_counter()
                async with session.post(created["url"], data=created["password"]) as response:
                    if response.status != 200 or await response.read() != payload:
                        results.errors[f"reveal {response.status}"] += 1
                        return
                timed(results, started)
            except (aiohttp.ClientError, TimeoutError) as e:
                results.errors[type(e).__name__] += 1

        await load("warm-up", 8, 1.0, create_then_reveal)
        label = f"HTTP at {rate:.0f} req/s offered" if rate else "HTTP saturated"
        return await load(label, concurrency, duration, create_then_reveal, rate)


async def run(args: argparse.Namespace, url: str, grpc_target: str | None) -> list[Results]:
    payload = os.urandom(args.payload_bytes)
    results = [
        await bench_http(url, args.concurrency, args.duration, payload, None),
        await bench_http(url, args.concurrency, args.duration, payload, args.rate),
    ]
    if grpc_target is not None:
        results.append(
            await bench_grpc(grpc_target, args.concurrency, args.duration, payload, None)
        )
        results.append(
            await bench_grpc(grpc_target, args.concurrency, args.duration, payload, args.rate)
        )
    return results


def _stack(redis_url: str | None) -> Stack:
    limits = Path(tempfile.mkdtemp(prefix="keep-bench-")) / "limits.yaml"
    limits.write_text(HIGH_LIMITS)
    quiet = {"LOG_LEVEL": "WARNING"}
    return Stack(
        redis_url=redis_url,
        http_port=0,
        output=subprocess.DEVNULL,
        env={
            "ratelimit": {**quiet, "RATELIMIT_CONFIG": str(limits)},
            "datastorage": quiet,
            "gateway": quiet,
        },
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per measurement")
    parser.add_argument("--payload-bytes", type=int, default=1024)
    parser.add_argument("--rate", type=float, default=1000.0, help="offered load, requests/s")
    parser.add_argument("--target", help="base URL of a running gateway (default: start a stack)")
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL"))
    parser.add_argument("--no-grpc", action="store_true", help="skip the gRPC comparison")
    args = parser.parse_args(argv)
    if args.target:
        results = asyncio.run(run(args, args.target.rstrip("/"), None))
    else:
        with _stack(args.redis_url) as stack:
            grpc_target = None if args.no_grpc else f"127.0.0.1:{stack.ports['datastorage']}"
            results = asyncio.run(run(args, stack.url, grpc_target))
    print(
        f"{args.concurrency} clients, {args.duration:.0f} s each, {args.payload_bytes} B payloads"
    )
    for result in results:
        print(result.line())
    if len(results) == 4 and results[2].throughput:
        ratio = results[0].throughput / results[2].throughput
        print(f"HTTP / gRPC, saturated, same stack: {ratio:.2f} (target >= 0.8)")
    return 1 if any(r.errors for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
