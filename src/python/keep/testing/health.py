"""Ask an in-process gRPC server for its health from async tests."""

from __future__ import annotations

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from keep.platform.health import READINESS


async def health_status(port: int, service: str = READINESS) -> int:
    """grpc.health.v1 status of `service` at 127.0.0.1:port; RPC failures propagate.

    Async on purpose: the server under test runs on the caller's event loop, which a blocking
    call (keep.platform.health.is_serving) would stall."""
    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
        response = await health_pb2_grpc.HealthStub(channel).Check(
            health_pb2.HealthCheckRequest(service=service), timeout=2
        )
        return int(response.status)
