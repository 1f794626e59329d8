"""The gateway's rate limit client against a real ratelimit server (embedded Redis): concurrent
checks share one call, and each is decided exactly as if it had been sent alone."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
import redis
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from prometheus_client import REGISTRY

from keep.devstack.embedded_redis import EmbeddedRedis
from keep.devstack.ports import free_port
from keep.gateway.ratelimiter import RateLimiter
from keep.platform.server import RunningServer
from keep.testing.embedded_redis import embedded_redis_fixture
from keep.testing.ratelimit import start_ratelimit

# Creates switch off the reveal limit within their own request (the reference's `replaces`):
# a batch of several clients' checks must not let one client's create lift another's limit.
LIMITS = """
domain: keep
descriptors:
  - key: action
    value: reveal
    descriptors:
      - key: remote_address
        rate_limit: {unit: minute, requests_per_unit: 3, name: reveals}
  - key: action
    value: create
    descriptors:
      - key: remote_address
        rate_limit: {unit: minute, requests_per_unit: 100, replaces: [{name: reveals}]}
"""
METHOD = "/envoy.service.ratelimit.v3.RateLimitService/ShouldRateLimit"
EXPORTER = InMemorySpanExporter()

redis_server = embedded_redis_fixture()


@pytest.fixture(scope="module")
def tracer_provider() -> Iterator[TracerProvider]:
    provider = TracerProvider()  # records every span it is asked to start
    provider.add_span_processor(SimpleSpanProcessor(EXPORTER))
    trace.set_tracer_provider(provider)  # the channel's client spans go to the global one
    yield provider


@pytest.fixture
async def ratelimit(redis_server: EmbeddedRedis, tmp_path: Path) -> AsyncIterator[RunningServer]:
    redis.Redis.from_url(redis_server.url).flushall()
    (tmp_path / "limits.yaml").write_text(LIMITS)
    running = await start_ratelimit(redis_server.url, tmp_path / "limits.yaml")
    yield running
    await running.stop()


@pytest.fixture
async def limiter(ratelimit: RunningServer) -> AsyncIterator[RateLimiter]:
    limiter = RateLimiter(f"127.0.0.1:{ratelimit.port}", "keep", timeout=5)
    yield limiter
    await limiter.close()


def _calls() -> float:
    return (
        REGISTRY.get_sample_value(
            "keep_grpc_server_requests_total", {"method": METHOD, "code": "OK"}
        )
        or 0.0
    )


async def test_concurrent_checks_share_one_call_and_stay_exact(limiter: RateLimiter) -> None:
    before = _calls()
    decisions = await asyncio.gather(*(limiter.check("reveal", "192.0.2.1") for _ in range(8)))
    assert _calls() == before + 1
    assert [d.allowed for d in decisions] == [True] * 3 + [False] * 5
    assert all(1 <= d.retry_after_seconds <= 60 for d in decisions[3:])


async def test_one_clients_create_does_not_lift_anothers_reveal_limit(
    limiter: RateLimiter,
) -> None:
    before = _calls()
    reveals = [limiter.check_each("192.0.2.3", {"reveal": None}) for _ in range(4)]
    create, *decisions = await asyncio.gather(
        limiter.check_each("192.0.2.2", {"create": None}), *reveals
    )
    assert _calls() == before + 1
    assert create[0].allowed
    assert [d.allowed for (d,) in decisions] == [True, True, True, False]


async def test_a_lone_check_is_a_plain_call(limiter: RateLimiter) -> None:
    decisions = [await limiter.check("reveal", "192.0.2.4") for _ in range(4)]
    assert [d.allowed for d in decisions] == [True, True, True, False]


async def test_a_recorded_trace_gets_its_own_call(
    limiter: RateLimiter, tracer_provider: TracerProvider
) -> None:
    tracer = tracer_provider.get_tracer("test")
    EXPORTER.clear()

    async def traced(name: str) -> None:
        with tracer.start_as_current_span(name):
            assert (await limiter.check("reveal", "192.0.2.5")).allowed

    before = _calls()
    await asyncio.gather(traced("first"), traced("second"))
    assert _calls() == before + 2
    spans = EXPORTER.get_finished_spans()
    parents = {s.name: s.context.span_id for s in spans if s.kind is SpanKind.INTERNAL}
    calls = [s for s in spans if s.kind is SpanKind.CLIENT]
    assert sorted(c.parent.span_id for c in calls if c.parent) == sorted(parents.values())


async def test_every_check_of_a_failed_call_fails_open() -> None:
    limiter = RateLimiter(f"127.0.0.1:{free_port()}", "keep", timeout=0.2)
    before = _fail_opens()
    try:
        decisions = await asyncio.gather(*(limiter.check("reveal", "192.0.2.6") for _ in range(3)))
    finally:
        await limiter.close()
    assert all(d.allowed for d in decisions)
    assert _fail_opens() == before + 3


def _fail_opens() -> float:
    (metric,) = (m for m in REGISTRY.collect() if m.name == "keep_gateway_ratelimit_fail_open")
    return sum(s.value for s in metric.samples if s.name.endswith("_total"))


async def test_checks_made_while_a_call_is_in_flight_go_out_together_after_it(
    limiter: RateLimiter,
) -> None:
    before = _calls()
    first = asyncio.create_task(limiter.check("reveal", "192.0.2.7"))
    later = []
    for _ in range(3):  # each in its own loop turn, all while the first call is in flight
        await asyncio.sleep(0)
        later.append(asyncio.create_task(limiter.check("reveal", "192.0.2.7")))
    decisions = [await first, *(await asyncio.gather(*later))]
    assert _calls() == before + 2
    assert [d.allowed for d in decisions] == [True, True, True, False]


class _Hanging(grpc.GenericRpcHandler):  # type: ignore[type-arg]
    """A ratelimit that never answers; it notes each call's time left."""

    def __init__(self) -> None:
        self.time_left: list[float] = []

    def service(self, details: grpc.HandlerCallDetails) -> grpc.RpcMethodHandler[Any, Any]:
        async def hang(request: bytes, context: grpc.aio.ServicerContext[Any, Any]) -> bytes:
            self.time_left.append(context.time_remaining() or 0.0)
            await asyncio.sleep(30)
            return b""

        return grpc.unary_unary_rpc_method_handler(hang)


async def test_a_check_waiting_behind_a_slow_call_keeps_its_own_deadline() -> None:
    hanging = _Hanging()
    server = grpc.aio.server()
    server.add_generic_rpc_handlers([hanging])
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    limiter = RateLimiter(f"127.0.0.1:{port}", "keep", timeout=0.5)
    try:
        first = asyncio.create_task(limiter.check("reveal", "192.0.2.8"))
        await asyncio.sleep(0.2)
        second = await limiter.check("reveal", "192.0.2.8")  # waits for the first call
        assert (await first).allowed and second.allowed  # both failed open
    finally:
        await limiter.close()
        await server.stop(None)
    # The second call was sent when the first gave up, with what was left of its own 0.5 s.
    assert len(hanging.time_left) == 2 and hanging.time_left[1] < 0.4
