"""The reference's decision rules over the wire, against a real Redis: shadow_mode, replaces,
unlimited, quota_mode, share_threshold counters, per-descriptor hits_addend, limit overrides and
the x-ratelimit-* response headers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import grpc
import pytest
import redis.asyncio as aioredis
from envoy.extensions.common.ratelimit.v3 import ratelimit_pb2
from envoy.service.ratelimit.v3 import rls_pb2, rls_pb2_grpc
from envoy.type.v3 import ratelimit_unit_pb2

from keep.platform.server import GrpcService, start_server
from keep.ratelimit.config import parse_limits
from keep.ratelimit.counter import RedisCounter
from keep.ratelimit.matching import Limits
from keep.ratelimit.service import DECISIONS, SERVICE_NAME, HeaderNames, RateLimitServicer
from keep.testing.redis_container import RunningRedis, redis_container

LIMITS = """
domain: d
descriptors:
  - key: shadow
    shadow_mode: true
    rate_limit: {unit: minute, requests_per_unit: 1}
  - key: tenant
    rate_limit: {unit: minute, requests_per_unit: 2, name: tenant_default}
  - key: vip
    rate_limit: {unit: minute, requests_per_unit: 100, name: vip, replaces: [{name: tenant_default}]}
  - key: free
    rate_limit: {unlimited: true}
  - key: quota_a
    quota_mode: true
    rate_limit: {unit: minute, requests_per_unit: 1}
  - key: quota_b
    quota_mode: true
    rate_limit: {unit: minute, requests_per_unit: 5}
  - key: path
    value: /files/*
    share_threshold: true
    rate_limit: {unit: minute, requests_per_unit: 2}
  - key: path
    value: /api/*
    rate_limit: {unit: minute, requests_per_unit: 2}
  - key: bytes
    rate_limit: {unit: minute, requests_per_unit: 1000}
"""

Code = rls_pb2.RateLimitResponse.Code
Descriptor = ratelimit_pb2.RateLimitDescriptor


@pytest.fixture(scope="module")
def redis_server() -> Iterator[RunningRedis]:
    with redis_container() as server:
        yield server


async def _stub(
    redis_url: str, headers: HeaderNames | None = None, global_shadow: bool = False
) -> AsyncIterator[rls_pb2_grpc.RateLimitServiceAsyncStub]:
    client = aioredis.Redis.from_url(redis_url)
    await client.flushall()
    await client.aclose()
    counter = RedisCounter.from_url(redis_url, timeout=0.5)
    servicer = RateLimitServicer(Limits([parse_limits(LIMITS)]), counter, headers, global_shadow)
    running = await start_server(
        GrpcService(
            name="ratelimit",
            port=0,
            register=lambda s: rls_pb2_grpc.add_RateLimitServiceServicer_to_server(servicer, s),
            service_names=[SERVICE_NAME],
            cleanup=counter.close,
        ),
        grace=1,
    )
    async with grpc.aio.insecure_channel(f"127.0.0.1:{running.port}") as channel:
        yield rls_pb2_grpc.RateLimitServiceStub(channel)
    await running.stop()


@pytest.fixture
async def stub(redis_server: RunningRedis) -> AsyncIterator[rls_pb2_grpc.RateLimitServiceAsyncStub]:
    async for s in _stub(redis_server.url):
        yield s


@pytest.fixture
async def stub_with_headers(
    redis_server: RunningRedis,
) -> AsyncIterator[rls_pb2_grpc.RateLimitServiceAsyncStub]:
    async for s in _stub(redis_server.url, headers=HeaderNames()):
        yield s


def _descriptor(*entries: tuple[str, str], hits: int | None = None) -> Descriptor:
    descriptor = Descriptor(entries=[Descriptor.Entry(key=k, value=v) for k, v in entries])
    if hits is not None:
        descriptor.hits_addend.value = hits
    return descriptor


async def _check(
    stub: rls_pb2_grpc.RateLimitServiceAsyncStub, *descriptors: Descriptor, hits: int = 0
) -> rls_pb2.RateLimitResponse:
    request = rls_pb2.RateLimitRequest(domain="d", descriptors=descriptors, hits_addend=hits)
    return await stub.ShouldRateLimit(request, timeout=5)


async def test_shadow_mode_counts_and_reports_but_never_refuses(
    stub: rls_pb2_grpc.RateLimitServiceAsyncStub,
) -> None:
    shadowed = DECISIONS.labels("shadow", "SHADOW_OVER_LIMIT")._value.get()
    for _ in range(3):
        response = await _check(stub, _descriptor(("shadow", "x")))
        assert response.overall_code == Code.OK and response.statuses[0].code == Code.OK
    assert response.statuses[0].limit_remaining == 0
    assert DECISIONS.labels("shadow", "SHADOW_OVER_LIMIT")._value.get() == shadowed + 2


async def test_replaces_switches_off_the_named_limit(
    stub: rls_pb2_grpc.RateLimitServiceAsyncStub,
) -> None:
    for _ in range(5):  # tenant_default (2/min) would refuse the third
        response = await _check(stub, _descriptor(("tenant", "t1")), _descriptor(("vip", "t1")))
        assert response.overall_code == Code.OK
        assert not response.statuses[0].HasField("current_limit")  # replaced: not counted
    alone = [await _check(stub, _descriptor(("tenant", "t1"))) for _ in range(3)]
    assert [r.overall_code for r in alone] == [Code.OK, Code.OK, Code.OVER_LIMIT]


async def test_unlimited_answers_ok_with_everything_remaining(
    stub: rls_pb2_grpc.RateLimitServiceAsyncStub,
) -> None:
    response = await _check(stub, _descriptor(("free", "x")), hits=1_000_000)
    assert response.overall_code == Code.OK
    (status,) = response.statuses
    assert status.limit_remaining == 2**32 - 1 and not status.HasField("current_limit")


async def test_quota_mode_refuses_only_when_every_quota_descriptor_is_over(
    stub: rls_pb2_grpc.RateLimitServiceAsyncStub,
) -> None:
    both = (_descriptor(("quota_a", "q")), _descriptor(("quota_b", "q")))
    first = await _check(stub, *both)
    assert first.overall_code == Code.OK
    second = await _check(stub, *both)  # quota_a is over (2 > 1), quota_b is not
    assert second.overall_code == Code.OK
    assert [s.code for s in second.statuses] == [Code.OVER_LIMIT, Code.OK]
    over_both = await _check(stub, *both, hits=5)
    assert over_both.overall_code == Code.OVER_LIMIT


async def test_share_threshold_shares_a_counter_and_plain_wildcards_do_not(
    stub: rls_pb2_grpc.RateLimitServiceAsyncStub,
) -> None:
    shared = [await _check(stub, _descriptor(("path", f"/files/{i}"))) for i in range(3)]
    assert [r.overall_code for r in shared] == [Code.OK, Code.OK, Code.OVER_LIMIT]
    own = [await _check(stub, _descriptor(("path", f"/api/{i}"))) for i in range(3)]
    assert [r.overall_code for r in own] == [Code.OK, Code.OK, Code.OK]
    assert own[0].statuses[0].current_limit.name == "path=/api/*"


async def test_descriptor_hits_addend_overrides_the_request_and_zero_only_checks(
    stub: rls_pb2_grpc.RateLimitServiceAsyncStub,
) -> None:
    # The gateway's shape: one descriptor counts the request, one the payload's bytes.
    response = await _check(
        stub, _descriptor(("tenant", "b")), _descriptor(("bytes", "b"), hits=900), hits=1
    )
    assert [s.limit_remaining for s in response.statuses] == [1, 100]
    peek = await _check(stub, _descriptor(("bytes", "b"), hits=0))
    assert peek.overall_code == Code.OK and peek.statuses[0].limit_remaining == 100
    over = await _check(stub, _descriptor(("bytes", "b"), hits=101))
    assert over.overall_code == Code.OVER_LIMIT


async def test_a_limit_override_replaces_the_configured_limit(
    stub: rls_pb2_grpc.RateLimitServiceAsyncStub,
) -> None:
    descriptor = _descriptor(("tenant", "o"))
    descriptor.limit.requests_per_unit = 1
    descriptor.limit.unit = ratelimit_unit_pb2.HOUR
    responses = [await _check(stub, descriptor) for _ in range(2)]
    assert [r.overall_code for r in responses] == [Code.OK, Code.OVER_LIMIT]
    limit = responses[0].statuses[0].current_limit
    assert (limit.requests_per_unit, limit.unit) == (1, rls_pb2.RateLimitResponse.RateLimit.HOUR)


async def test_response_headers_report_the_descriptor_closest_to_its_limit(
    stub_with_headers: rls_pb2_grpc.RateLimitServiceAsyncStub,
) -> None:
    response = await _check(
        stub_with_headers, _descriptor(("bytes", "h"), hits=10), _descriptor(("tenant", "h"))
    )
    headers = {h.key: h.value for h in response.response_headers_to_add}
    assert headers["x-ratelimit-limit"] == "2" and headers["x-ratelimit-remaining"] == "1"
    assert 0 < int(headers["x-ratelimit-reset"]) <= 60


async def test_no_headers_unless_enabled_and_global_shadow_mode(
    stub: rls_pb2_grpc.RateLimitServiceAsyncStub, redis_server: RunningRedis
) -> None:
    response = await _check(stub, _descriptor(("tenant", "n")))
    assert not response.response_headers_to_add
    async for dry_run in _stub(redis_server.url, global_shadow=True):
        results = [await _check(dry_run, _descriptor(("tenant", "g"))) for _ in range(3)]
        assert [r.overall_code for r in results] == [Code.OK] * 3
        assert results[2].statuses[0].code == Code.OVER_LIMIT  # still reported per descriptor
