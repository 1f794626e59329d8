"""data-storage against Redis configured like Memorystore in prod: TLS with a private server CA,
and AUTH. The URL form is the one the memorystore component documents."""

from __future__ import annotations

from pathlib import Path

import grpc
import pytest

from keep.datastorage.main import build_service
from keep.datastorage.settings import Settings
from keep.datastorage.v1 import datastorage_pb2 as pb
from keep.datastorage.v1 import datastorage_pb2_grpc as pb_grpc
from keep.platform.server import RunningServer, start_server
from keep.testing.redis_container import tls_redis_container
from keep.testing.tls import write_pki

AUTH = "memorystore-style-auth-string"


async def _start(redis_url: str) -> RunningServer:
    settings = Settings.model_validate({"grpc_port": 0, "metrics_port": 0, "redis_url": redis_url})
    return await start_server(build_service(settings), grace=1)


async def _create_and_reveal(port: int) -> bytes:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
        stub = pb_grpc.DataStorageServiceStub(channel)
        created = await stub.CreateSecret(pb.CreateSecretRequest(payload=b"over tls"), timeout=5)
        response = await stub.RevealSecret(
            pb.RevealSecretRequest(id=created.id, password=created.password), timeout=5
        )
        return bytes(response.payload)


async def test_rediss_url_with_the_server_ca_and_auth(tmp_path: Path) -> None:
    pki = write_pki(tmp_path)
    with tls_redis_container(pki, AUTH) as redis:
        url = f"rediss://:{AUTH}@127.0.0.1:{redis.host_port}/0?ssl_ca_certs={pki.ca_cert}"
        server = await _start(url)
        try:
            assert await _create_and_reveal(server.port) == b"over tls"
        finally:
            await server.stop()


@pytest.mark.parametrize("problem", ["no CA: the server certificate is not trusted", "wrong AUTH"])
async def test_misconfigured_tls_or_auth_is_unavailable_not_a_crash(
    tmp_path: Path, problem: str
) -> None:
    pki = write_pki(tmp_path)
    with tls_redis_container(pki, AUTH) as redis:
        if problem.startswith("no CA"):
            url = f"rediss://:{AUTH}@127.0.0.1:{redis.host_port}/0"
        else:
            url = f"rediss://:wrong@127.0.0.1:{redis.host_port}/0?ssl_ca_certs={pki.ca_cert}"
        server = await _start(url)
        try:
            with pytest.raises(grpc.aio.AioRpcError) as error:
                await _create_and_reveal(server.port)
            assert error.value.code() is grpc.StatusCode.UNAVAILABLE
        finally:
            await server.stop()
