"""An in-process data-storage server and a small client for its tests (real gRPC, real Redis)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol, cast

import grpc
from google.protobuf.duration_pb2 import Duration

from keep.datastorage.clients import CLIENT_ADDRESS_METADATA
from keep.datastorage.main import build_service
from keep.datastorage.settings import Settings
from keep.datastorage.v1 import datastorage_pb2 as pb
from keep.datastorage.v1 import datastorage_pb2_grpc as pb_grpc
from keep.platform.server import RunningServer, start_server

# Every payload carries this marker, so a final scan can prove no plaintext reached Redis.
MARKER = b"PLAINTEXT-MARKER-"
Code = grpc.StatusCode


class RedisTarget(Protocol):
    """A test Redis: one server (RunningRedis) or a cluster (RunningCluster)."""

    cluster: bool

    @property
    def url(self) -> str: ...


async def start_datastorage(redis: str | RedisTarget, **overrides: Any) -> RunningServer:
    """`redis`: a URL, or a test Redis, whose kind selects REDIS_CLUSTER."""
    target = (
        {"redis_url": redis}
        if isinstance(redis, str)
        else {"redis_url": redis.url, "redis_cluster": redis.cluster}
    )
    settings = Settings.model_validate({"grpc_port": 0, "metrics_port": 0, **target, **overrides})
    return await start_server(build_service(settings), grace=1)


class Client:
    """`address` plays the gateway's `keep-client-address`; None sends none (the peer counts)."""

    def __init__(self, port: int, address: str | None = None):
        self.channel = grpc.aio.insecure_channel(f"127.0.0.1:{port}")
        self.stub = pb_grpc.DataStorageServiceStub(self.channel)
        self.metadata = ((CLIENT_ADDRESS_METADATA, address),) if address else None

    async def create(
        self, payload: bytes = MARKER + b"hello", ttl: int | None = None
    ) -> pb.CreateSecretResponse:
        request = pb.CreateSecretRequest(payload=payload)
        if ttl is not None:
            request.ttl.CopyFrom(Duration(seconds=ttl))
        return await self.stub.CreateSecret(request, timeout=5)

    async def reveal(self, secret_id: str, password: str, key: str = "") -> bytes:
        request = pb.RevealSecretRequest(id=secret_id, password=password, idempotency_key=key)
        response = await self.stub.RevealSecret(request, timeout=5, metadata=self.metadata)
        return response.payload

    async def status(self, secret_id: str) -> pb.GetSecretStatusResponse:
        request = pb.GetSecretStatusRequest(id=secret_id)
        return await self.stub.GetSecretStatus(request, timeout=5, metadata=self.metadata)

    async def burn(self, secret_id: str, password: str) -> None:
        request = pb.BurnSecretRequest(id=secret_id, password=password)
        await self.stub.BurnSecret(request, timeout=5, metadata=self.metadata)

    async def close(self) -> None:
        await self.channel.close(None)


async def code_of(call: Any) -> Code:
    try:
        await call
    except grpc.aio.AioRpcError as e:
        return e.code()
    return Code.OK


def trailers(error: grpc.aio.AioRpcError) -> Mapping[str, str]:
    # grpc.aio yields (key, value) tuples; the stubs describe the sync API's _Metadatum.
    metadata = cast(Sequence[tuple[str, str]], error.trailing_metadata() or ())
    return dict(metadata)
