"""gRPC errors as the gateway maps them, produced by a real gRPC server."""

from __future__ import annotations

from collections.abc import AsyncIterator

import grpc
import pytest
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from keep.gateway.errors import from_grpc


@pytest.fixture
async def tiny_server() -> AsyncIterator[str]:
    """A health server that refuses messages over 64 bytes, as data-storage refuses messages
    over its payload cap: gRPC itself answers RESOURCE_EXHAUSTED."""
    server = grpc.aio.server(options=[("grpc.max_receive_message_length", 64)])
    health_pb2_grpc.add_HealthServicer_to_server(health.HealthServicer(), server)  # type: ignore[no-untyped-call]
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    yield f"127.0.0.1:{port}"
    await server.stop(None)


async def test_grpc_message_size_limit_is_413_not_locked(tiny_server: str) -> None:
    async with grpc.aio.insecure_channel(tiny_server) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        with pytest.raises(grpc.aio.AioRpcError) as raised:
            await stub.Check(health_pb2.HealthCheckRequest(service="x" * 1000))
    assert raised.value.code() is grpc.StatusCode.RESOURCE_EXHAUSTED
    error = from_grpc(raised.value)
    assert (error.status, error.code) == (413, "payload_too_large")
