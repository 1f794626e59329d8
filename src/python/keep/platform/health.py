"""The standard grpc.health.v1 service, with liveness and readiness as separate checks.

Kubernetes' native gRPC probes ask for a service name: `liveness` stays SERVING while the
process runs; `readiness` (and the overall "" service) follow the service's dependency check.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_health.v1.health import aio as health_aio  # type: ignore[attr-defined]

from keep.platform.waiting import wait_until

LIVENESS = "liveness"
READINESS = "readiness"
OVERALL = ""

ReadinessCheck = Callable[[], Awaitable[bool]]

log = logging.getLogger(__name__)

_SERVING = health_pb2.HealthCheckResponse.SERVING
_NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING


class HealthReporter:
    """Owns the health servicer and keeps readiness current by polling a check."""

    def __init__(self, server: grpc.aio.Server, check: ReadinessCheck | None, interval: float):
        self._servicer = health_aio.HealthServicer()
        health_pb2_grpc.add_HealthServicer_to_server(self._servicer, server)
        self._check = check
        self._interval = interval
        self._ready: bool | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self._servicer.set(LIVENESS, _SERVING)
        await self._refresh()
        self._task = asyncio.create_task(self._poll(), name="readiness-poll")

    async def _refresh(self) -> None:
        try:
            ready = True if self._check is None else await self._check()
        except Exception:  # a failing check means "not ready", never a crashed server
            log.exception("readiness check raised")
            ready = False
        if ready != self._ready:
            log.info("readiness changed", extra={"ready": ready})
            self._ready = ready
        status = _SERVING if ready else _NOT_SERVING
        await self._servicer.set(READINESS, status)
        await self._servicer.set(OVERALL, status)

    async def _poll(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            await self._refresh()

    async def shutdown(self) -> None:
        """Reports NOT_SERVING everywhere, so load balancers stop sending new calls."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._servicer.enter_graceful_shutdown()


def is_serving(
    address: str,
    service: str = READINESS,
    timeout: float = 1.0,
    credentials: grpc.ChannelCredentials | None = None,
) -> bool:
    """One health check of `service` at `address` (host:port), over TLS with `credentials`."""
    channel = (
        grpc.insecure_channel(address)
        if credentials is None
        else grpc.secure_channel(address, credentials)
    )
    with channel:
        try:
            response = health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(service=service), timeout=timeout
            )
        except grpc.RpcError:
            return False
    return bool(response.status == _SERVING)


def wait_until_serving(address: str, service: str = READINESS, timeout: float = 30) -> float:
    """Blocks until `address` reports `service` SERVING; returns the seconds it took."""
    return wait_until(
        lambda: is_serving(address, service, timeout=0.5),
        what=f"{address}: {service!r} SERVING",
        timeout=timeout,
        interval=0.02,
    )
