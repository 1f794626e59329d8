"""Batched ShouldRateLimit calls (keep-ratelimit-batch metadata) over the wire, against a real
Redis: every group is decided exactly as the same descriptors sent alone."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import pytest
import redis
from envoy.extensions.common.ratelimit.v3 import ratelimit_pb2
from envoy.service.ratelimit.v3 import rls_pb2, rls_pb2_grpc

from keep.devstack.embedded_redis import EmbeddedRedis
from keep.ratelimit.batch import BATCH_METADATA, MAX_GROUPS, BadBatch, batch_metadata, groups
from keep.testing.embedded_redis import embedded_redis_fixture
from keep.testing.ratelimit import start_ratelimit

LIMITS = """
domain: d
descriptors:
  - key: tenant
    rate_limit: {unit: minute, requests_per_unit: 2, name: tenant_default}
  - key: vip
    rate_limit: {unit: minute, requests_per_unit: 100, name: vip, replaces: [{name: tenant_default}]}
  - key: quota_a
    quota_mode: true
    rate_limit: {unit: minute, requests_per_unit: 1}
  - key: quota_b
    quota_mode: true
    rate_limit: {unit: minute, requests_per_unit: 5}
"""

Code = rls_pb2.RateLimitResponse.Code

redis_server = embedded_redis_fixture()


@pytest.fixture
async def stub(
    redis_server: EmbeddedRedis, tmp_path: Path
) -> AsyncIterator[rls_pb2_grpc.RateLimitServiceAsyncStub]:
    redis.Redis.from_url(redis_server.url).flushall()
    (tmp_path / "limits.yaml").write_text(LIMITS)
    running = await start_ratelimit(
        redis_server.url, tmp_path / "limits.yaml", ratelimit_response_headers=True
    )
    async with grpc.aio.insecure_channel(f"127.0.0.1:{running.port}") as channel:
        yield rls_pb2_grpc.RateLimitServiceStub(channel)
    await running.stop()


def _descriptor(key: str, value: str) -> ratelimit_pb2.RateLimitDescriptor:
    return ratelimit_pb2.RateLimitDescriptor(
        entries=[ratelimit_pb2.RateLimitDescriptor.Entry(key=key, value=value)]
    )


async def _batch(
    stub: rls_pb2_grpc.RateLimitServiceAsyncStub, *groups: list[tuple[str, str]]
) -> rls_pb2.RateLimitResponse:
    request = rls_pb2.RateLimitRequest(
        domain="d", descriptors=[_descriptor(k, v) for group in groups for k, v in group]
    )
    metadata = [batch_metadata([len(g) for g in groups])]
    return await stub.ShouldRateLimit(request, timeout=5, metadata=metadata)


def test_group_sizes_must_describe_the_request() -> None:
    assert groups(None, 3) == [3]
    assert groups("2,1", 3) == [2, 1]
    assert batch_metadata([2, 1]) == (BATCH_METADATA, "2,1")
    for bad in ("2,2", "0,3", "", "a", "1,,2", "-1,4", "³", "1" * 5):
        with pytest.raises(BadBatch):
            groups(bad, 3)
    with pytest.raises(BadBatch):
        groups(",".join(["1"] * (MAX_GROUPS + 1)), MAX_GROUPS + 1)


async def test_replaces_acts_only_within_a_group(
    stub: rls_pb2_grpc.RateLimitServiceAsyncStub,
) -> None:
    # One client's `vip` check must not switch off `tenant_default` for the others' checks.
    vip, tenant = [("vip", "t")], [("tenant", "t")]
    response = await _batch(stub, vip, tenant, tenant, tenant)
    assert [s.code for s in response.statuses] == [Code.OK, Code.OK, Code.OK, Code.OVER_LIMIT]
    assert [s.limit_remaining for s in response.statuses] == [99, 1, 0, 0]
    assert response.overall_code == Code.OVER_LIMIT
    assert not response.response_headers_to_add  # they describe one request
    # Within a group it still acts: tenant is replaced, not counted.
    together = await _batch(stub, [("tenant", "u"), ("vip", "u")], [("tenant", "u")])
    assert not together.statuses[0].HasField("current_limit")
    assert together.statuses[2].limit_remaining == 1
    assert together.overall_code == Code.OK


async def test_quota_mode_and_the_overall_code_are_per_group(
    stub: rls_pb2_grpc.RateLimitServiceAsyncStub,
) -> None:
    # Alone, the second request's only quota descriptor is over: that request is refused.
    response = await _batch(stub, [("quota_a", "q")], [("quota_a", "q")])
    assert [s.code for s in response.statuses] == [Code.OK, Code.OVER_LIMIT]
    assert response.overall_code == Code.OVER_LIMIT
    # A group with another quota descriptor under its limit is not refused, as alone.
    both = await _batch(stub, [("quota_a", "r"), ("quota_b", "r")], [("quota_a", "r")])
    assert [s.code for s in both.statuses] == [Code.OK, Code.OK, Code.OVER_LIMIT]
    assert both.overall_code == Code.OVER_LIMIT
    fine = await _batch(stub, [("quota_a", "s"), ("quota_b", "s")], [("quota_b", "s")])
    assert fine.overall_code == Code.OK


async def test_one_group_is_a_plain_request_with_headers(
    stub: rls_pb2_grpc.RateLimitServiceAsyncStub,
) -> None:
    response = await _batch(stub, [("tenant", "h"), ("vip", "h")])
    headers = {h.key: h.value for h in response.response_headers_to_add}
    assert headers["x-ratelimit-limit"] == "100" and headers["x-ratelimit-remaining"] == "99"


async def test_metadata_that_does_not_fit_is_invalid(
    stub: rls_pb2_grpc.RateLimitServiceAsyncStub,
) -> None:
    request = rls_pb2.RateLimitRequest(domain="d", descriptors=[_descriptor("tenant", "x")] * 3)
    for value in ("1,1", "0,3", "x"):
        with pytest.raises(grpc.aio.AioRpcError) as error:
            await stub.ShouldRateLimit(request, timeout=5, metadata=[(BATCH_METADATA, value)])
        assert error.value.code() is grpc.StatusCode.INVALID_ARGUMENT
        assert BATCH_METADATA in (error.value.details() or "")
