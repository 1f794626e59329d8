from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import grpc
import pytest
from envoy.extensions.common.ratelimit.v3 import ratelimit_pb2
from envoy.service.ratelimit.v3 import rls_pb2, rls_pb2_grpc
from grpc_health.v1 import health_pb2

from keep.platform.server import GrpcService, RunningServer, start_server
from keep.ratelimit.config import parse_limits
from keep.ratelimit.counter import RedisCounter
from keep.ratelimit.matching import Limits
from keep.ratelimit.service import SERVICE_NAME, RateLimitServicer
from keep.testing.health import health_status
from keep.testing.redis_cluster import RunningCluster
from keep.testing.redis_container import RunningRedis, redis_container

LIMITS = """
domain: keep
descriptors:
  - key: action
    value: create
    descriptors:
      - key: remote_address
        rate_limit: {unit: minute, requests_per_unit: 10}
  - key: remote_address
    rate_limit: {unit: hour, requests_per_unit: 1000}
  - key: action
    value: free
    rate_limit: {unlimited: true}
"""

Code = rls_pb2.RateLimitResponse.Code


@pytest.fixture(scope="module")
def redis_server() -> Iterator[RunningRedis]:
    with redis_container() as server:
        yield server


async def _serve(
    redis: RunningRedis | RunningCluster, timeout: float = 5.0
) -> tuple[RunningServer, RedisCounter]:
    # 5 s by default: a shorter Redis timeout made the parallel-requests test fail (UNAVAILABLE)
    # once while every core of the machine was busy. The Redis-down test passes its own.
    counter = RedisCounter.from_url(redis.url, timeout=timeout, cluster=redis.cluster)
    servicer = RateLimitServicer(Limits([parse_limits(LIMITS)]), counter)
    service = GrpcService(
        name="ratelimit",
        port=0,
        register=lambda s: rls_pb2_grpc.add_RateLimitServiceServicer_to_server(servicer, s),
        service_names=[SERVICE_NAME],
        readiness=counter.ping,
        readiness_interval=0.1,
        cleanup=counter.close,
    )
    return await start_server(service, grace=1), counter


@pytest.fixture
async def stub(
    redis_server: RunningRedis | RunningCluster,
) -> AsyncIterator[rls_pb2_grpc.RateLimitServiceAsyncStub]:
    redis_server.client().flushall()
    running, _ = await _serve(redis_server)
    async with grpc.aio.insecure_channel(f"127.0.0.1:{running.port}") as channel:
        yield rls_pb2_grpc.RateLimitServiceStub(channel)
    await running.stop()


def _request(*descriptors: list[tuple[str, str]], domain: str = "keep") -> rls_pb2.RateLimitRequest:
    return rls_pb2.RateLimitRequest(
        domain=domain,
        descriptors=[
            ratelimit_pb2.RateLimitDescriptor(
                entries=[ratelimit_pb2.RateLimitDescriptor.Entry(key=k, value=v) for k, v in d]
            )
            for d in descriptors
        ],
    )


CREATE = [("action", "create"), ("remote_address", "192.0.2.1")]


async def test_admits_up_to_the_limit_then_says_over_limit(
    stub: rls_pb2_grpc.RateLimitServiceAsyncStub,
) -> None:
    for expected_remaining in range(9, -1, -1):
        response = await stub.ShouldRateLimit(_request(CREATE), timeout=2)
        assert response.overall_code == Code.OK
        assert response.statuses[0].limit_remaining == expected_remaining
    response = await stub.ShouldRateLimit(_request(CREATE), timeout=2)
    assert response.overall_code == Code.OVER_LIMIT
    (status,) = response.statuses
    assert status.code == Code.OVER_LIMIT
    assert status.current_limit.requests_per_unit == 10
    assert status.current_limit.unit == rls_pb2.RateLimitResponse.RateLimit.Unit.MINUTE
    assert status.current_limit.name == "action=create.remote_address"
    assert 0 < status.duration_until_reset.ToMilliseconds() <= 60_000
    # Another address has its own window.
    other = [("action", "create"), ("remote_address", "192.0.2.2")]
    assert (await stub.ShouldRateLimit(_request(other), timeout=2)).overall_code == Code.OK


async def test_hits_addend_and_one_status_per_descriptor(
    stub: rls_pb2_grpc.RateLimitServiceAsyncStub,
) -> None:
    request = _request(CREATE, [("remote_address", "192.0.2.1")], [("nothing", "here")])
    request.hits_addend = 11
    response = await stub.ShouldRateLimit(request, timeout=2)
    assert response.overall_code == Code.OVER_LIMIT
    assert [s.code for s in response.statuses] == [Code.OVER_LIMIT, Code.OK, Code.OK]
    assert response.statuses[1].limit_remaining == 989
    assert not response.statuses[2].HasField("current_limit")


async def test_unknown_domain_and_unlimited_rules_are_never_limited(
    stub: rls_pb2_grpc.RateLimitServiceAsyncStub,
) -> None:
    for _ in range(3):
        response = await stub.ShouldRateLimit(
            _request([("action", "free")], [("action", "create")]), timeout=2
        )
        assert response.overall_code == Code.OK
        other = await stub.ShouldRateLimit(_request(CREATE, domain="other"), timeout=2)
        assert other.overall_code == Code.OK


async def test_invalid_requests(stub: rls_pb2_grpc.RateLimitServiceAsyncStub) -> None:
    for request in (_request(CREATE, domain=""), _request()):
        with pytest.raises(grpc.aio.AioRpcError) as error:
            await stub.ShouldRateLimit(request, timeout=2)
        assert error.value.code() is grpc.StatusCode.INVALID_ARGUMENT


async def test_no_over_admission_under_parallel_requests(
    stub: rls_pb2_grpc.RateLimitServiceAsyncStub,
) -> None:
    responses = await asyncio.gather(
        *(stub.ShouldRateLimit(_request(CREATE), timeout=5) for _ in range(60))
    )
    assert sum(r.overall_code == Code.OK for r in responses) == 10
    assert sum(r.overall_code == Code.OVER_LIMIT for r in responses) == 50


async def test_redis_down_means_unavailable_quickly_and_not_ready() -> None:
    with redis_container() as redis:
        running, _ = await _serve(redis, timeout=0.3)
        try:
            assert await health_status(running.port) == health_pb2.HealthCheckResponse.SERVING
            redis.stop()
            async with grpc.aio.insecure_channel(f"127.0.0.1:{running.port}") as channel:
                stub = rls_pb2_grpc.RateLimitServiceStub(channel)
                loop = asyncio.get_running_loop()
                started = loop.time()
                with pytest.raises(grpc.aio.AioRpcError) as error:
                    await stub.ShouldRateLimit(_request(CREATE), timeout=5)
                assert error.value.code() is grpc.StatusCode.UNAVAILABLE
                assert loop.time() - started < 1.5
            await asyncio.sleep(1.0)  # the readiness poll notices
            assert await health_status(running.port) == health_pb2.HealthCheckResponse.NOT_SERVING
        finally:
            await running.stop()
