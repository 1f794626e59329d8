"""Asks the rate limit service before create and reveal; fails open if it does not answer."""

from __future__ import annotations

import asyncio
import contextvars
import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import grpc
from envoy.service.ratelimit.v3 import rls_pb2, rls_pb2_grpc
from opentelemetry import trace

from keep.gateway import metrics
from keep.platform.tls import TlsFiles, client_channel
from keep.ratelimit.batch import MAX_GROUPS, batch_metadata

log = logging.getLogger(__name__)

_OVER = rls_pb2.RateLimitResponse.Code.OVER_LIMIT
# One call at a time: the checks made while it is in flight go out together when it ends
# (batches of about 6 under bench:http instead of 3, for at most one call's wait).
CALLS_IN_FLIGHT = 1


# One [action, remote_address] descriptor: the action, the address, its own hits (None: one).
Check = tuple[str, str, int | None]


def _request(domain: str, checks: list[Check]) -> Any:
    """The RateLimitRequest for `checks`, built in place: descriptors made first and then
    passed to the request would each be copied into it once more."""
    request = rls_pb2.RateLimitRequest(domain=domain)
    add = request.descriptors.add
    for action, remote_address, hits in checks:
        descriptor = add()
        entry = descriptor.entries.add
        entry(key="action", value=action)
        entry(key="remote_address", value=remote_address)
        if hits is not None:
            descriptor.hits_addend.value = hits
    return request


@dataclass(frozen=True)
class Decision:
    allowed: bool
    retry_after_seconds: int = 0


class RateLimiter:
    """Checks go out batched (keep.ratelimit.batch): while a call is in flight, the checks made
    meanwhile wait for it to end and then go out together in one ShouldRateLimit call, each
    decided by ratelimit as if it came alone; with no call in flight a check goes out in the
    next turn of the event loop, alone or with the checks made in the same turn. A lone check
    is a plain Envoy request. A request whose trace is recorded (sampled) makes its own call,
    so its trace shows it. Every check still gets its answer, or fails open, within `timeout`
    of being made: a batch's deadline is its oldest check's."""

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
        self._send_scheduled = False

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
        checks = [(a, remote_address, hits[a]) for a in actions]
        try:
            if trace.get_current_span().is_recording():
                statuses = await self._call([checks], self._timeout)
            else:
                statuses = await self._batched(checks)
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

    def _batched(self, checks: list[Check]) -> asyncio.Future[list[Any]]:
        """The statuses of `checks`, from the next batched call."""
        loop = asyncio.get_running_loop()
        waiting = _Waiting(
            checks,
            loop.create_future(),
            loop.time() + self._timeout,
            contextvars.copy_context(),
        )
        self._waiting.append(waiting)
        self._schedule()
        return waiting.statuses

    def _schedule(self) -> None:
        if self._waiting and not self._send_scheduled and len(self._calls) < CALLS_IN_FLIGHT:
            self._send_scheduled = True
            asyncio.get_running_loop().call_soon(self._send)

    def _send(self) -> None:
        self._send_scheduled = False
        # A check whose request was cancelled meanwhile is not sent (nor counted).
        pending = [w for w in self._waiting if not w.statuses.done()]
        waiting, self._waiting = pending[:MAX_GROUPS], pending[MAX_GROUPS:]
        if not waiting:
            return
        loop = asyncio.get_running_loop()
        # In the first check's context: its trace id reaches ratelimit (and its log lines).
        task = loop.create_task(self._answer(waiting), context=waiting[0].context)
        self._calls.add(task)
        task.add_done_callback(self._sent)
        self._schedule()

    def _sent(self, task: asyncio.Task[None]) -> None:
        self._calls.discard(task)
        self._schedule()

    async def _answer(self, waiting: list[_Waiting]) -> None:
        # At least a millisecond: gRPC then answers DEADLINE_EXCEEDED, and the checks fail open.
        timeout = max(0.001, waiting[0].due - asyncio.get_running_loop().time())
        try:
            statuses = await self._call([w.checks for w in waiting], timeout)
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
            end = start + len(w.checks)
            if not w.statuses.done():  # its request may have been cancelled meanwhile
                w.statuses.set_result(statuses[start:end])
            start = end

    async def _call(self, groups: list[list[Check]], timeout: float) -> list[Any]:
        """One ShouldRateLimit call for `groups` of checks (batch metadata if several)."""
        request = _request(self._domain, [check for group in groups for check in group])
        metadata = [batch_metadata([len(g) for g in groups])] if len(groups) > 1 else None
        response = await self._stub.ShouldRateLimit(request, timeout=timeout, metadata=metadata)
        return list(response.statuses)

    async def close(self) -> None:
        await self._channel.close(None)
        for task in list(self._calls):
            task.cancel()
        for waiting in self._waiting:
            waiting.statuses.cancel()


@dataclass
class _Waiting:
    """A check waiting for a batched call: its descriptors, then their statuses."""

    checks: list[Check]
    statuses: asyncio.Future[list[Any]]
    due: float  # loop time by which it must be answered (or fail open)
    context: contextvars.Context  # where it was made
