"""Asks the rate limit service before create and reveal; fails open if it does not answer."""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import grpc
from envoy.extensions.common.ratelimit.v3 import ratelimit_pb2
from envoy.service.ratelimit.v3 import rls_pb2, rls_pb2_grpc

from keep.gateway import metrics
from keep.platform.tls import TlsFiles, client_channel

log = logging.getLogger(__name__)

_OVER = rls_pb2.RateLimitResponse.Code.OVER_LIMIT


def _descriptor(action: str, remote_address: str, hits: int | None) -> Any:
    descriptor = ratelimit_pb2.RateLimitDescriptor(
        entries=[
            ratelimit_pb2.RateLimitDescriptor.Entry(key="action", value=action),
            ratelimit_pb2.RateLimitDescriptor.Entry(key="remote_address", value=remote_address),
        ]
    )
    if hits is not None:
        descriptor.hits_addend.value = hits
    return descriptor


@dataclass(frozen=True)
class Decision:
    allowed: bool
    retry_after_seconds: int = 0


class RateLimiter:
    def __init__(
        self,
        address: str,
        domain: str,
        timeout: float,
        tls: TlsFiles | None = None,
        dapr_app_id: str | None = None,
    ):
        self._channel = client_channel(address, tls, dapr_app_id=dapr_app_id)
        self._stub = rls_pb2_grpc.RateLimitServiceStub(self._channel)
        self._domain = domain
        self._timeout = timeout

    async def check(self, action: str, remote_address: str) -> Decision:
        """One request against the [action, remote_address] limit."""
        return (await self.check_each(remote_address, {action: None}))[0]

    async def check_each(
        self, remote_address: str, hits: Mapping[str, int | None]
    ) -> list[Decision]:
        """One ShouldRateLimit call with a [action, remote_address] descriptor per action, in
        order; each counts its own hits (per-descriptor `hits_addend`, e.g. the bytes a create
        stores) or, for None, one request. The first action names the call in metrics."""
        actions = list(hits)
        request = rls_pb2.RateLimitRequest(
            domain=self._domain,
            descriptors=[_descriptor(a, remote_address, hits[a]) for a in actions],
        )
        try:
            response = await self._stub.ShouldRateLimit(request, timeout=self._timeout)
        except grpc.aio.AioRpcError as e:
            # Fail open: data-storage's per-secret lockout still protects reveals.
            reason = e.code().name
            metrics.RATELIMIT_FAIL_OPEN.labels(actions[0], reason).inc()
            log.warning("ratelimit unreachable, letting the request through",
                        extra={"action": actions[0], "reason": reason})  # fmt: skip
            return [Decision(allowed=True) for _ in actions]
        decisions = [Decision(allowed=True) for _ in actions]
        for i, status in enumerate(response.statuses[: len(actions)]):
            if status.code == _OVER:
                metrics.RATE_LIMITED.labels(actions[i]).inc()
                wait = status.duration_until_reset.ToMilliseconds() / 1000
                decisions[i] = Decision(allowed=False, retry_after_seconds=max(1, math.ceil(wait)))
        return decisions

    async def close(self) -> None:
        await self._channel.close(None)
