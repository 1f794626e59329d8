"""data-storage against Redis configured like Memorystore in prod: TLS with a private server CA,
and AUTH. The URL form is the one the memorystore component documents."""

from __future__ import annotations

import re
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
# The Terraform output that becomes the prod Secret redis-url, and where the memorystore component
# mounts Secret redis-ca.
MEMORYSTORE_OUTPUTS = Path("infra/terraform/modules/memorystore/outputs.tf")
CA_MOUNT = "/etc/keep/redis-ca/ca.pem"


def _terraform_output(name: str) -> str:
    match = re.search(
        rf'output "{name}" {{.*?\n  value\s*=\s*(.+?)\n', MEMORYSTORE_OUTPUTS.read_text(), re.S
    )
    assert match, f"{MEMORYSTORE_OUTPUTS}: no output {name}"
    return match.group(1).strip()


def _prod_url(host: str, port: int, ca_file: Path) -> str:
    """The URL Terraform writes into the prod Secret, pointed at the test server and CA file."""
    template = _terraform_output("redis_url")
    assert template.startswith('"') and template.endswith('"'), template
    values = {"auth_string": AUTH, "host": host, "port": str(port)}
    url = re.sub(
        r"\$\{google_redis_instance\.this\.(\w+)\}", lambda m: values[m.group(1)], template[1:-1]
    )
    assert CA_MOUNT in url, f"the URL must name the mounted CA {CA_MOUNT}: {url}"
    return url.replace(CA_MOUNT, str(ca_file))


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


async def test_prod_url_accepts_memorystore_certificate_with_the_ip_only_in_the_cn(
    tmp_path: Path,
) -> None:
    """Memorystore's server certificate names the instance IP in the subject CN only (no IP SAN).
    redis-py >= 6 checks the hostname by default and OpenSSL never matches an IP against a CN, so
    the URL must turn the hostname check off; the chain is still verified against the instance's
    own CA (`ssl_cert_reqs` stays `required`), which signs nothing but this instance. ca.pem holds
    every CA Memorystore lists (rotation): here the signing CA comes after another one."""
    pki = write_pki(tmp_path, "127.0.0.1", ip_only_in_cn=True, other_cas=1)
    with tls_redis_container(pki, AUTH) as redis:
        server = await _start(_prod_url("127.0.0.1", redis.host_port, pki.ca_cert))
        try:
            assert await _create_and_reveal(server.port) == b"over tls"
        finally:
            await server.stop()


async def test_prod_url_still_rejects_a_certificate_from_another_ca(tmp_path: Path) -> None:
    """Turning the hostname check off must not turn verification off."""
    (tmp_path / "server").mkdir()
    (tmp_path / "stranger").mkdir()
    pki = write_pki(tmp_path / "server", "127.0.0.1", ip_only_in_cn=True)
    stranger = write_pki(tmp_path / "stranger", "127.0.0.1")
    with tls_redis_container(pki, AUTH) as redis:
        server = await _start(_prod_url("127.0.0.1", redis.host_port, stranger.ca_cert))
        try:
            with pytest.raises(grpc.aio.AioRpcError) as error:
                await _create_and_reveal(server.port)
            assert error.value.code() is grpc.StatusCode.UNAVAILABLE
        finally:
            await server.stop()


def test_terraform_exports_every_memorystore_ca() -> None:
    """During a CA rotation Memorystore serves a certificate from the new CA while listing both:
    exporting only `server_ca_certs[0]` breaks TLS the day the server switches."""
    value = _terraform_output("server_ca_certs")
    assert "[0]" not in value, f"only the first CA is exported: {value}"
    assert "server_ca_certs[*].cert" in value or "for " in value, value
