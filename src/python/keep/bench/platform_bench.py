"""What keep.platform costs per served RPC and per Redis command, next to baselines measured in
the same run.

    ./pants run src/python/keep/bench:platform -- --calls 20000 --rounds 3

RPCs: a grpc.aio server in this process answers unary calls from 64 concurrent callers, once
with the platform's interceptor (`ServedRpcs`: span, propagation, metrics) and once bare, in
alternating rounds. An outer interceptor times the handler it is given with the event loop
thread's CPU clock, so the figure is the CPU spent in that handler per call and nothing else
the process does (the clients, gRPC's threads); the bare handler's figure is the baseline.
Tracing is configured as the services configure it without an exporter, and the calls carry
no `traceparent`, like bench:grpc's.

Redis: the same commands (GET, SET, a script, a two-command pipeline) from 64 concurrent
callers through `keep.platform.redis.connect(pipelined=True)` and through a plain redis-py
client, against an embedded redis-server; the figure is this process's CPU time per command
(only the client runs here).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

import grpc
from redis.asyncio import Redis

from keep.bench.stats import load_average
from keep.devstack.embedded_redis import EmbeddedRedis
from keep.platform.redis import connect
from keep.platform.served_rpcs import ServedRpcs
from keep.platform.tracing import configure_tracing

CONCURRENCY = 64
METHOD = "/bench.Platform/Echo"
Context = grpc.aio.ServicerContext[Any, Any]


async def _echo(request: bytes, context: Context) -> bytes:
    return request


class _HandlerClock(grpc.aio.ServerInterceptor):  # type: ignore[misc,type-arg]
    """Adds up the event loop thread's CPU time spent in each unary handler it passes on."""

    def __init__(self) -> None:
        self.calls = 0
        self.seconds = 0.0
        self._timed: dict[Any, grpc.RpcMethodHandler[Any, Any]] = {}

    async def intercept_service(self, continuation: Any, details: Any) -> Any:
        handler = await continuation(details)
        if handler is None or handler.unary_unary is None:
            return handler
        if handler not in self._timed:
            self._timed[handler] = grpc.unary_unary_rpc_method_handler(
                self._clocked(handler.unary_unary)
            )
        return self._timed[handler]

    def _clocked(self, behavior: Callable[..., Awaitable[Any]]) -> Callable[..., Any]:
        async def clocked(request: Any, context: Context) -> Any:
            started = time.thread_time()
            try:
                return await behavior(request, context)
            finally:
                self.seconds += time.thread_time() - started
                self.calls += 1

        return clocked


async def rpc_round(calls: int, served: bool) -> float:
    """CPU microseconds per call spent in the handler (ServedRpcs's wrapper, or bare)."""
    clock = _HandlerClock()
    interceptors = [clock, ServedRpcs()] if served else [clock]
    server = grpc.aio.server(interceptors=interceptors)
    handlers = {"Echo": grpc.unary_unary_rpc_method_handler(_echo)}
    server.add_generic_rpc_handlers(
        [grpc.method_handlers_generic_handler("bench.Platform", handlers)]
    )
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            call = channel.unary_unary(METHOD, None, None)

            async def caller(n: int) -> None:
                for _ in range(n):
                    await call(b"x" * 64, timeout=30)

            await asyncio.gather(*(caller(100) for _ in range(CONCURRENCY)))  # warm up
            clock.calls, clock.seconds = 0, 0.0
            await asyncio.gather(*(caller(calls // CONCURRENCY) for _ in range(CONCURRENCY)))
    finally:
        await server.stop(None)
    return clock.seconds / clock.calls * 1e6


async def redis_round(client: Redis, calls: int) -> float:
    """This process's CPU microseconds per Redis command."""
    script = client.register_script("return redis.call('GET', KEYS[1])")
    await client.set("bench:platform", b"v" * 1024)
    await script(keys=["bench:platform"])  # loaded

    async def caller(steps: int) -> None:
        for _ in range(steps):  # 5 commands per step
            await client.get("bench:platform")
            await client.set("bench:platform:other", b"w" * 1024, px=60_000)
            await script(keys=["bench:platform"])
            async with client.pipeline(transaction=False) as pipe:
                pipe.get("bench:platform")
                pipe.pttl("bench:platform:other")
                await pipe.execute()

    steps = max(1, calls // (5 * CONCURRENCY))
    started = time.process_time()
    await asyncio.gather(*(caller(steps) for _ in range(CONCURRENCY)))
    return (time.process_time() - started) / (steps * 5 * CONCURRENCY) * 1e6


async def measure(args: argparse.Namespace, redis_url: str) -> None:
    rpc: dict[str, list[float]] = {"bare": [], "served": []}
    commands: dict[str, list[float]] = {"redis-py": [], "platform": []}
    platform_client = connect(redis_url, 5.0, pipelined=True)
    plain_client = Redis.from_url(redis_url)
    try:
        for _ in range(args.rounds):
            rpc["bare"].append(await rpc_round(args.calls, served=False))
            rpc["served"].append(await rpc_round(args.calls, served=True))
            commands["redis-py"].append(await redis_round(plain_client, args.calls))
            commands["platform"].append(await redis_round(platform_client, args.calls))
    finally:
        await platform_client.aclose()
        await plain_client.aclose()
    report(rpc, commands)


def _each(values: list[float]) -> str:
    return " / ".join(f"{v:.1f}" for v in values)


def report(rpc: dict[str, list[float]], commands: dict[str, list[float]]) -> None:
    bare, served = statistics.median(rpc["bare"]), statistics.median(rpc["served"])
    print(f"handler CPU per RPC, bare handler         {_each(rpc['bare'])} us")
    print(f"handler CPU per RPC, with ServedRpcs      {_each(rpc['served'])} us")
    print(f"ServedRpcs adds (medians)                 {served - bare:.1f} us per RPC")
    plain, ours = statistics.median(commands["redis-py"]), statistics.median(commands["platform"])
    print(f"client CPU per Redis command, redis-py    {_each(commands['redis-py'])} us")
    print(f"client CPU per Redis command, platform    {_each(commands['platform'])} us")
    print(f"platform / redis-py (medians)             {ours / plain:.2f}")
    print(f"load average (1, 5, 15 min) at the end: {load_average()}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--calls", type=int, default=20_000, help="RPCs and commands per round")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds (medians)")
    args = parser.parse_args(argv)
    configure_tracing("keep-bench")  # no exporter: as the services run by default
    redis = EmbeddedRedis().start()
    try:
        asyncio.run(measure(args, redis.url))
    finally:
        redis.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
