"""Asks the rate limit service before create and reveal; fails open if it does not answer."""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import grpc
from envoy.extensions.common.ratelimit.v3 import ratelimit_pb2
from envoy.service.ratelimit.v3 import rls_pb2, rls_pb2_grpc
from opentelemetry import trace

from keep.gateway import metrics
from keep.platform.tls import TlsFiles, client_channel
from keep.ratelimit.batch import MAX_GROUPS, batch_metadata

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
    """Checks go out batched (keep.ratelimit.batch): the checks made in one turn of the event
    loop share one ShouldRateLimit call, each decided by ratelimit as if it came alone. A lone
    check is a plain Envoy request. A request whose trace is recorded (sampled) makes its own
    call, so its trace shows it."""

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
        self._waiting: list[_Waiting] = []
        self._calls: set[asyncio.Task[None]] = set()

    async def check(self, action: str, remote_address: str) -> Decision:
        """One request against the [action, remote_address] limit."""
        return (await self.check_each(remote_address, {action: None}))[0]

    async def check_each(
        self, remote_address: str, hits: Mapping[str, int | None]
    ) -> list[Decision]:
        """One check with a [action, remote_address] descriptor per action, in order; each
        counts its own hits (per-descriptor `hits_addend`, e.g. the bytes a create stores) or,
        for None, one request. The first action names the check in metrics."""
        actions = list(hits)
        descriptors = [_descriptor(a, remote_address, hits[a]) for a in actions]
        try:
            if trace.get_current_span().is_recording():
                statuses = await self._call([descriptors])
            else:
                statuses = await self._batched(descriptors)
        except grpc.aio.AioRpcError as e:
            # Fail open: data-storage's per-secret lockout still protects reveals.
            reason = e.code().name
            metrics.RATELIMIT_FAIL_OPEN.labels(actions[0], reason).inc()
            log.warning("ratelimit unreachable, letting the request through",
                        extra={"action": actions[0], "reason": reason})  # fmt: skip
            return [Decision(allowed=True) for _ in actions]
        decisions = [Decision(allowed=True) for _ in actions]
        for i, status in enumerate(statuses[: len(actions)]):
            if status.code == _OVER:
                metrics.RATE_LIMITED.labels(actions[i]).inc()
                wait = status.duration_until_reset.ToMilliseconds() / 1000
                decisions[i] = Decision(allowed=False, retry_after_seconds=max(1, math.ceil(wait)))
        return decisions

    def _batched(self, descriptors: list[Any]) -> asyncio.Future[list[Any]]:
        """The statuses of `descriptors`, from the call the next loop turn makes for every
        check waiting by then."""
        loop = asyncio.get_running_loop()
        waiting = _Waiting(descriptors, loop.create_future())
        self._waiting.append(waiting)
        if len(self._waiting) == 1:
            loop.call_soon(self._send)
        return waiting.statuses

    def _send(self) -> None:
        waiting, self._waiting = self._waiting, []
        for start in range(0, len(waiting), MAX_GROUPS):
            task = asyncio.ensure_future(self._answer(waiting[start : start + MAX_GROUPS]))
            self._calls.add(task)
            task.add_done_callback(self._calls.discard)

    async def _answer(self, waiting: list[_Waiting]) -> None:
        try:
            statuses = await self._call([w.descriptors for w in waiting])
        except asyncio.CancelledError:  # closing: the waiting checks must not hang
            for w in waiting:
                w.statuses.cancel()
            raise
        except Exception as e:  # each waiting check fails as its own call would have
            for w in waiting:
                if not w.statuses.done():  # its request may have been cancelled meanwhile
                    w.statuses.set_exception(e)
            return
        start = 0
        for w in waiting:
            end = start + len(w.descriptors)
            if not w.statuses.done():  # its request may have been cancelled meanwhile
                w.statuses.set_result(statuses[start:end])
            start = end

    async def _call(self, groups: list[list[Any]]) -> list[Any]:
        """One ShouldRateLimit call for `groups` of descriptors (batch metadata if several)."""
        request = rls_pb2.RateLimitRequest(
            domain=self._domain, descriptors=[d for group in groups for d in group]
        )
        metadata = [batch_metadata([len(g) for g in groups])] if len(groups) > 1 else None
        response = await self._stub.ShouldRateLimit(
            request, timeout=self._timeout, metadata=metadata
        )
        return list(response.statuses)

    async def close(self) -> None:
        await self._channel.close(None)
        for task in list(self._calls):
            task.cancel()


@dataclass(frozen=True)
class _Waiting:
    """A check waiting for the next batched call: its descriptors, then their statuses."""

    descriptors: list[Any]
    statuses: asyncio.Future[list[Any]]
