"""The data-storage client: one grpc.aio channel, a deadline on every call."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import grpc
from google.protobuf.duration_pb2 import Duration
from grpc_health.v1 import health_pb2, health_pb2_grpc

from keep.datastorage.v1 import datastorage_pb2 as pb
from keep.datastorage.v1 import datastorage_pb2_grpc as pb_grpc
from keep.platform.tls import TlsFiles, client_channel

# Room around the largest payload for the protobuf framing of a reveal's answer.
_MESSAGE_OVERHEAD_BYTES = 4096

# data-storage counts wrong passwords per client: it trusts this metadata from the gateway
# (keep.datastorage.clients). Clients cannot set it: it is always overwritten here.
CLIENT_ADDRESS_METADATA = "keep-client-address"


def _client(address: str) -> tuple[tuple[str, str]]:
    return ((CLIENT_ADDRESS_METADATA, address),)


@dataclass(frozen=True)
class Created:
    id: str
    password: str
    expires_at: datetime


@dataclass(frozen=True)
class Status:
    exists: bool
    expires_at: datetime | None
    locked: bool


class DataStorage:
    def __init__(
        self,
        address: str,
        timeout: float,
        max_payload_bytes: int,
        tls: TlsFiles | None = None,
        dapr_app_id: str | None = None,
    ):
        # gRPC's default 4 MiB receive limit would refuse reveals of larger allowed payloads.
        size = ("grpc.max_receive_message_length", max_payload_bytes + _MESSAGE_OVERHEAD_BYTES)
        self._channel = client_channel(address, tls, [size], dapr_app_id)
        self._stub = pb_grpc.DataStorageServiceStub(self._channel)
        self._health = health_pb2_grpc.HealthStub(self._channel)
        self._timeout = timeout

    async def create(self, payload: bytes, ttl_seconds: int) -> Created:
        request = pb.CreateSecretRequest(payload=payload, ttl=Duration(seconds=ttl_seconds))
        response = await self._stub.CreateSecret(request, timeout=self._timeout)
        return Created(response.id, response.password, response.expires_at.ToDatetime(tzinfo=UTC))

    async def reveal(
        self, secret_id: str, password: str, client: str, idempotency_key: str = ""
    ) -> bytes:
        request = pb.RevealSecretRequest(
            id=secret_id, password=password, idempotency_key=idempotency_key
        )
        response = await self._stub.RevealSecret(
            request, timeout=self._timeout, metadata=_client(client)
        )
        return bytes(response.payload)

    async def status(self, secret_id: str, client: str) -> Status:
        request = pb.GetSecretStatusRequest(id=secret_id)
        response = await self._stub.GetSecretStatus(
            request, timeout=self._timeout, metadata=_client(client)
        )
        expires = (
            response.expires_at.ToDatetime(tzinfo=UTC) if response.HasField("expires_at") else None
        )
        return Status(response.exists, expires, response.locked)

    async def burn(
        self, secret_id: str, password: str, client: str, idempotency_key: str = ""
    ) -> None:
        request = pb.BurnSecretRequest(
            id=secret_id, password=password, idempotency_key=idempotency_key
        )
        await self._stub.BurnSecret(request, timeout=self._timeout, metadata=_client(client))

    async def ready(self, timeout: float = 1.0) -> bool:
        try:
            response = await self._health.Check(
                health_pb2.HealthCheckRequest(service="readiness"), timeout=timeout
            )
        except grpc.aio.AioRpcError:
            return False
        return bool(response.status == health_pb2.HealthCheckResponse.SERVING)

    async def close(self) -> None:
        await self._channel.close(None)
