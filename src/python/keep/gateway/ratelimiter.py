"""Asks the rate limit service before create and reveal; fails open if it does not answer."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import grpc
from envoy.extensions.common.ratelimit.v3 import ratelimit_pb2
from envoy.service.ratelimit.v3 import rls_pb2, rls_pb2_grpc

from keep.gateway import metrics
from keep.platform.tls import TlsFiles, client_channel

log = logging.getLogger(__name__)

_OVER = rls_pb2.RateLimitResponse.Code.OVER_LIMIT


@dataclass(frozen=True)
class Decision:
    allowed: bool
    retry_after_seconds: int = 0


class RateLimiter:
    def __init__(self, address: str, domain: str, timeout: float, tls: TlsFiles | None = None):
        self._channel = client_channel(address, tls)
        self._stub = rls_pb2_grpc.RateLimitServiceStub(self._channel)
        self._domain = domain
        self._timeout = timeout

    async def check(self, action: str, remote_address: str, hits: int = 1) -> Decision:
        """Counts `hits` against the [action, remote_address] limit (Envoy's `hits_addend`:
        a request, or the bytes a create stores)."""
        descriptor = ratelimit_pb2.RateLimitDescriptor(
            entries=[
                ratelimit_pb2.RateLimitDescriptor.Entry(key="action", value=action),
                ratelimit_pb2.RateLimitDescriptor.Entry(key="remote_address", value=remote_address),
            ]
        )
        request = rls_pb2.RateLimitRequest(
            domain=self._domain, descriptors=[descriptor], hits_addend=hits
        )
        try:
            response = await self._stub.ShouldRateLimit(request, timeout=self._timeout)
        except grpc.aio.AioRpcError as e:
            # Fail open: data-storage's per-secret lockout still protects reveals.
            reason = e.code().name
            metrics.RATELIMIT_FAIL_OPEN.labels(action, reason).inc()
            log.warning("ratelimit unreachable, letting the request through",
                        extra={"action": action, "reason": reason})  # fmt: skip
            return Decision(allowed=True)
        if response.overall_code != _OVER:
            return Decision(allowed=True)
        metrics.RATE_LIMITED.labels(action).inc()
        waits = [
            s.duration_until_reset.ToMilliseconds() / 1000
            for s in response.statuses
            if s.code == _OVER
        ]
        return Decision(allowed=False, retry_after_seconds=max(1, math.ceil(max(waits, default=1))))

    async def close(self) -> None:
        await self._channel.close(None)
