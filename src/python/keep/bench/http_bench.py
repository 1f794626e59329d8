"""Benchmark the HTTP path: create + reveal through the gateway (the curl contract), next to
the gRPC path into data-storage.

    ./pants run src/python/keep/bench:http -- --concurrency 64 --duration 10 --rounds 2
    ./pants run src/python/keep/bench:http -- --py-spy /tmp/gateway.txt   # py-spy on PATH
    ./pants run src/python/keep/bench:http -- --py-spy /tmp/edge.txt --py-spy-process edge
    ./pants run src/python/keep/bench:http -- --target http://localhost:8080 --no-grpc

Each of N clients repeatedly POSTs a secret to / and POSTs its password to the returned URL,
so half the requests are creates and half reveals. Measurements as in grpc_bench (same load
loop and statistics): saturated, and a fixed offered load (--rate requests/s, latency from the
time a request was due). Without --target it starts the whole stack (embedded Redis unless
--redis-url) with rate limits far above the load -- still matched and counted in Redis, so the
ratelimit round trip is part of every measured request -- and, unless --no-grpc, measures
data-storage over gRPC in the same stack, alternating saturated HTTP and gRPC runs --rounds
times so that a burst of other work on the machine hits both sides of the printed ratio.

In the same rounds it measures the floor of the HTTP path: keep.bench.http_floor, a minimal
aiohttp edge making the same create + reveal calls by one gRPC call each to the same
data-storage, with nothing else. It prints `minimal HTTP edge / gRPC` (the ceiling of any
one-hop Python HTTP edge here) and `gateway HTTP / minimal HTTP edge` (the gateway's own cost).
Not with --target (no data-storage address) or --no-grpc (no gRPC path to compare it with).

Each run also prints the CPU time per request of every process (the load generator, the
gateway, ratelimit, data-storage, the embedded Redis): on a machine shared with other work,
throughput moves with their load, CPU per request much less.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from contextlib import ExitStack
from dataclasses import dataclass, field
from itertools import zip_longest
from pathlib import Path

import aiohttp

from keep.bench import http_floor
from keep.bench.grpc_bench import bench_grpc, load, timed
from keep.bench.py_spy import profiling
from keep.bench.ratios import median_ratios, ratio
from keep.bench.stats import Results
from keep.devstack.stack import Stack

HTTP_TARGET = 0.8  # HTTP / gRPC, issue 13
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
    url: str,
    concurrency: int,
    duration: float,
    payload: bytes,
    rate: float | None,
    process_pids: Mapping[str, int] | None = None,
    name: str = "HTTP",
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
        label = f"{name} at {rate:.0f} req/s offered" if rate else f"{name} saturated"
        return await load(
            label, concurrency, duration, create_then_reveal, rate, process_pids=process_pids
        )


EDGE = "minimal HTTP edge"


@dataclass
class Measured:
    http: list[Results]  # saturated, one per round, alternating with `grpc` and `edge`
    grpc: list[Results]
    paced: list[Results]  # HTTP, then gRPC if measured, at the offered rate
    edge: list[Results] = field(default_factory=list)  # keep.bench.http_floor, if measured

    def all(self) -> list[Results]:
        rounds = zip_longest(self.http, self.grpc, self.edge)
        return [*(r for one in rounds for r in one if r), *self.paced]


@dataclass(frozen=True)
class Edge:
    """The minimal HTTP edge: its base URL, and the processes whose CPU its runs count."""

    url: str
    pids: Mapping[str, int]


async def measure(
    args: argparse.Namespace,
    url: str,
    grpc_target: str | None,
    pids: Mapping[str, int],
    edge: Edge | None = None,
) -> Measured:
    payload = os.urandom(args.payload_bytes)
    n, seconds = args.concurrency, args.duration
    measured = Measured([], [], [])
    # Alternating rounds: a burst of other work on the machine hits both sides of the ratio.
    for _ in range(args.rounds):
        first = not measured.http
        # The edge is profiled during its own run, any other process during the gateway's.
        on_edge = args.py_spy_process == "edge"
        profiled = [pids[args.py_spy_process]] if args.py_spy_process in pids else []
        with profiling(args.py_spy if first and not on_edge else None, profiled, seconds):
            measured.http.append(await bench_http(url, n, seconds, payload, None, pids))
        if grpc_target is not None:
            measured.grpc.append(
                await bench_grpc(grpc_target, n, seconds, payload, None, process_pids=pids)
            )
        if edge is not None:
            edge_pid = [edge.pids["edge"]]
            with profiling(args.py_spy if first and on_edge else None, edge_pid, seconds):
                measured.edge.append(
                    await bench_http(edge.url, n, seconds, payload, None, edge.pids, EDGE)
                )
    measured.paced.append(await bench_http(url, n, seconds, payload, args.rate, pids))
    if grpc_target is not None:
        measured.paced.append(
            await bench_grpc(grpc_target, n, seconds, payload, args.rate, process_pids=pids)
        )
    return measured


def report(args: argparse.Namespace, measured: Measured) -> None:
    print(
        f"{args.concurrency} clients, {args.duration:.0f} s each, {args.payload_bytes} B payloads"
    )
    for result in measured.all():
        print(result.line())
        if result.cpu_seconds_by_process:
            each = ", ".join(f"{k} {v:.3f}" for k, v in result.cpu_ms_per_request().items())
            print(f"    CPU ms per request: {each}")
    if measured.grpc:
        ratios = [ratio(h, g) for h, g in zip(measured.http, measured.grpc, strict=True)]
        print(
            f"HTTP / gRPC, saturated, same stack: {statistics.median(ratios):.2f} "
            f"(median of {len(ratios)}; target >= 0.8)"
        )
        by_cpu = [
            _path_cpu(g) / _path_cpu(h)
            for h, g in zip(measured.http, measured.grpc, strict=True)
            if _path_cpu(h) and _path_cpu(g)
        ]
        if by_cpu:
            print(
                f"HTTP / gRPC by the services' CPU per request (load generator excluded): "
                f"{statistics.median(by_cpu):.2f}"
            )
        http_client, grpc_client = (
            r.cpu_ms_per_request().get("client", 0.0) for r in (measured.http[0], measured.grpc[0])
        )
        if http_client and grpc_client:
            print(f"load generator CPU per request, HTTP / gRPC: {http_client / grpc_client:.2f}")
    if measured.edge and measured.grpc:
        report_floor(measured)
    print(f"load average (1, 5, 15 min): {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


def report_floor(measured: Measured) -> None:
    """The minimal edge against the gRPC path (the one-hop ceiling) and the gateway against the
    minimal edge, each by throughput and by the services' CPU per request, median of rounds."""
    ceiling = median_ratios(measured.edge, measured.grpc, _path_cpu)
    print(
        f"{EDGE} / gRPC, saturated, same stack: {ceiling[0]:.2f}{_by_cpu(ceiling[1])} "
        "(the ceiling of any one-hop Python HTTP edge here)"
    )
    gateway = median_ratios(measured.http, measured.edge, _path_cpu)
    print(f"gateway HTTP / {EDGE}, saturated, same stack: {gateway[0]:.2f}{_by_cpu(gateway[1])}")
    if ceiling[0] < HTTP_TARGET:
        print(
            f"The {EDGE} itself reaches only {ceiling[0]:.2f} of gRPC, below the "
            f"{HTTP_TARGET} target: no one-hop Python HTTP edge of this shape meets it here."
        )
    else:
        print(f"The {EDGE} reaches {ceiling[0]:.2f} of gRPC: {HTTP_TARGET} is within its reach.")
    paths = {"gRPC": measured.grpc, EDGE: measured.edge, "gateway HTTP": measured.http}
    whole = {name: statistics.median(_whole_cpu(r) for r in runs) for name, runs in paths.items()}
    if all(whole.values()):
        each = ", ".join(f"{name} {ms:.3f}" for name, ms in whole.items())
        print(
            f"CPU ms per request of the whole path (load generator included), median: {each}; "
            f"where the cores are the limit, {HTTP_TARGET} of gRPC's throughput allows "
            f"{whole['gRPC'] / HTTP_TARGET:.3f}"
        )


def _by_cpu(value: float | None) -> str:
    return f", by the services' CPU per request {value:.2f}" if value is not None else ""


def _whole_cpu(result: Results) -> float:
    return sum(result.cpu_ms_per_request().values())


def _path_cpu(result: Results) -> float:
    """CPU per request of every process but the load generator (idle ones add ~0)."""
    return sum(ms for name, ms in result.cpu_ms_per_request().items() if name != "client")


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
    parser.add_argument(
        "--rounds", type=int, default=2,
        help="alternate HTTP, gRPC and minimal edge saturated runs this many times (median ratio)",
    )  # fmt: skip
    parser.add_argument(
        "--py-spy", metavar="OUTPUT",
        help="profile a process with py-spy --native during its first saturated HTTP run",
    )  # fmt: skip
    parser.add_argument(
        "--py-spy-process", default="gateway",
        choices=["gateway", "ratelimit", "datastorage", "edge"],
        help="the process --py-spy profiles",
    )  # fmt: skip
    args = parser.parse_args(argv)
    client = {"client": os.getpid()}
    if args.target:
        measured = asyncio.run(measure(args, args.target.rstrip("/"), None, client))
    else:
        with ExitStack() as running:
            stack = running.enter_context(_stack(args.redis_url))
            pids = {**client, **stack.pids}
            grpc_target = None if args.no_grpc else f"127.0.0.1:{stack.ports['datastorage']}"
            edge = None
            if grpc_target is not None:
                floor = running.enter_context(http_floor.running(grpc_target))
                # Its runs count the processes it uses (the gateway and ratelimit idle).
                used = {k: v for k, v in pids.items() if k in ("client", "datastorage", "redis")}
                edge = Edge(floor.target, {**used, "edge": floor.pids[0]})
            measured = asyncio.run(measure(args, stack.url, grpc_target, pids, edge))
    report(args, measured)
    return 1 if any(r.errors for r in measured.all()) else 0


if __name__ == "__main__":
    sys.exit(main())
