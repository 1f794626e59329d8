"""HTTP benchmark: create + reveal through the gateway (the curl contract), N concurrent
clients for T seconds; prints requests/s, p50/p99 per operation and errors.

    ./pants run src/python/keep/bench:http -- --start-stack --clients 16 --seconds 20
    ./pants run src/python/keep/bench:http -- --url http://localhost:8080 --clients 16

`--start-stack` runs the whole stack locally (embedded Redis) with limits far above the load
(still counted in Redis), so the numbers measure the services rather than the limits.
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

from keep.localstack.stack import Stack

# Limits far above any load: still matched and counted in Redis, as in production.
NO_LIMITS = """
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


@dataclass
class Results:
    latencies: dict[str, list[float]] = field(default_factory=lambda: {"create": [], "reveal": []})
    errors: Counter[str] = field(default_factory=Counter)

    def record(self, operation: str, started: float, ok: bool, what: str) -> None:
        if ok:
            self.latencies[operation].append(time.perf_counter() - started)
        else:
            self.errors[f"{operation} {what}"] += 1


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def client(
    session: aiohttp.ClientSession, url: str, until: float, results: Results, payload: bytes
) -> None:
    while time.perf_counter() < until:
        started = time.perf_counter()
        try:
            async with session.post(url + "/", data=payload) as response:
                body = await response.json() if response.status == 201 else None
                results.record("create", started, body is not None, str(response.status))
            if body is None:
                continue
            started = time.perf_counter()
            async with session.post(body["url"], data=body["password"]) as response:
                ok = response.status == 200 and await response.read() == payload
                results.record("reveal", started, ok, str(response.status))
        except (aiohttp.ClientError, TimeoutError) as e:
            results.record("create", started, False, type(e).__name__)


async def run(url: str, clients: int, seconds: float, payload_bytes: int) -> Results:
    results = Results()
    payload = b"s" * payload_bytes
    timeout = aiohttp.ClientTimeout(total=10)
    connector = aiohttp.TCPConnector(limit=clients)
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
        # Warm-up (connections, caches) is not measured.
        await client(session, url, time.perf_counter() + 1, Results(), payload)
        until = time.perf_counter() + seconds
        await asyncio.gather(
            *(client(session, url, until, results, payload) for _ in range(clients))
        )
    return results


def report(results: Results, seconds: float, clients: int) -> str:
    lines = [f"HTTP create+reveal via the gateway: {clients} clients, {seconds:g} s"]
    total = 0
    for operation, values in results.latencies.items():
        total += len(values)
        lines.append(
            f"  {operation:7} {len(values) / seconds:8.1f} req/s   "
            f"p50 {percentile(values, 0.50) * 1000:7.2f} ms   "
            f"p99 {percentile(values, 0.99) * 1000:7.2f} ms"
        )
    lines.append(f"  total   {total / seconds:8.1f} req/s (successful requests)")
    errors = sum(results.errors.values())
    lines.append(f"  errors  {errors}" + (f" {dict(results.errors)}" if errors else ""))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="http_bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    parser.add_argument("--url", default="http://localhost:8080", help="the gateway")
    parser.add_argument("--start-stack", action="store_true", help="run a local stack first")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--payload-bytes", type=int, default=256)
    args = parser.parse_args(argv)
    stack = None
    try:
        if args.start_stack:
            limits = Path(tempfile.mkdtemp(prefix="keep-bench-")) / "limits.yaml"
            limits.write_text(NO_LIMITS)
            stack = Stack(http_port=0, output=subprocess.DEVNULL, env={
                "ratelimit": {"RATELIMIT_CONFIG": str(limits), "LOG_LEVEL": "WARNING"},
                "datastorage": {"LOG_LEVEL": "WARNING"},
                "gateway": {"LOG_LEVEL": "WARNING"},
            }).start()  # fmt: skip
            args.url = stack.url
        results = asyncio.run(run(args.url, args.clients, args.seconds, args.payload_bytes))
    finally:
        if stack is not None:
            stack.stop()
    print(report(results, args.seconds, args.clients))
    return 0 if not results.errors else 1


if __name__ == "__main__":
    sys.exit(main())
