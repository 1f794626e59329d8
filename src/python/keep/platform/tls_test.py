"""gRPC TLS and mutual TLS with a generated CA, against a real platform server: plaintext and
unknown clients are refused, rotated certificate files are picked up without a restart by the
server (next handshake) and by the client channel (next call)."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from keep.platform.server import GrpcService, RunningServer, start_server
from keep.platform.settings import ServiceSettings, SettingsError, load_settings
from keep.platform.tls import (
    CHECK_INTERVAL_SECONDS,
    ReloadingChannel,
    TlsFiles,
    client_channel,
    client_tls,
    server_tls,
)
from keep.testing.tls import Pki, write_pki

SERVING = health_pb2.HealthCheckResponse.SERVING


def _service() -> GrpcService:
    return GrpcService(name="tls-test", port=0, register=lambda server: None, service_names=[])


async def _check(channel: grpc.aio.Channel) -> int:
    response = await health_pb2_grpc.HealthStub(channel).Check(
        health_pb2.HealthCheckRequest(service="liveness"), timeout=5
    )
    return int(response.status)


async def _refused(channel: grpc.aio.Channel) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await _check(channel)
    assert raised.value.code() is grpc.StatusCode.UNAVAILABLE


def _server_files(pki: Pki, mutual: bool = False) -> TlsFiles:
    return TlsFiles(pki.server_cert, pki.server_key, pki.ca_cert, require_client_cert=mutual)


def _client_files(pki: Pki, with_cert: bool = True) -> TlsFiles:
    if with_cert:
        return TlsFiles(pki.client_cert, pki.client_key, pki.ca_cert)
    return TlsFiles(ca=pki.ca_cert)


def _pki(directory: Path) -> Pki:
    directory.mkdir()
    return write_pki(directory)


@pytest.fixture
def pki(tmp_path: Path) -> Pki:
    return _pki(tmp_path / "live")


async def _serve(files: TlsFiles) -> AsyncIterator[RunningServer]:
    running = await start_server(_service(), grace=0.1, tls=files)
    try:
        yield running
    finally:
        await running.stop()


@pytest.fixture
async def tls_server(pki: Pki) -> AsyncIterator[RunningServer]:
    async for running in _serve(_server_files(pki)):
        yield running


@pytest.fixture
async def mtls_server(pki: Pki) -> AsyncIterator[RunningServer]:
    async for running in _serve(_server_files(pki, mutual=True)):
        yield running


def _address(running: RunningServer) -> str:
    return f"127.0.0.1:{running.port}"


async def test_tls_server_answers_tls_clients_and_refuses_plaintext(
    pki: Pki, tls_server: RunningServer
) -> None:
    async with client_channel(_address(tls_server), _client_files(pki, with_cert=False)) as ch:
        assert await _check(ch) == SERVING
    async with client_channel(_address(tls_server), None) as plaintext:
        await _refused(plaintext)


async def test_a_client_that_does_not_trust_the_ca_is_refused(
    tmp_path: Path, tls_server: RunningServer
) -> None:
    stranger = _pki(tmp_path / "stranger")
    async with client_channel(_address(tls_server), _client_files(stranger)) as ch:
        await _refused(ch)


async def test_mutual_tls_needs_a_client_certificate_from_the_ca(
    tmp_path: Path, pki: Pki, mtls_server: RunningServer
) -> None:
    address = _address(mtls_server)
    async with client_channel(address, _client_files(pki)) as ch:
        assert await _check(ch) == SERVING
    async with client_channel(address, _client_files(pki, with_cert=False)) as ch:
        await _refused(ch)
    other = _pki(tmp_path / "other")
    foreign_cert = TlsFiles(other.client_cert, other.client_key, pki.ca_cert)
    async with client_channel(address, foreign_cert) as ch:
        await _refused(ch)


def _rotate(source: Pki, live: Pki) -> None:
    for name in ("ca_cert", "server_cert", "server_key", "client_cert", "client_key"):
        shutil.copyfile(getattr(source, name), getattr(live, name))


async def test_rotated_files_are_used_without_a_restart(tmp_path: Path, pki: Pki) -> None:
    server = await start_server(_service(), grace=0.1, tls=_server_files(pki))
    address = _address(server)
    channel = client_channel(address, _client_files(pki))
    assert isinstance(channel, ReloadingChannel)
    try:
        assert await _check(channel) == SERVING
        old_ca = tmp_path / "old-ca.pem"
        shutil.copyfile(pki.ca_cert, old_ca)

        _rotate(_pki(tmp_path / "next"), pki)  # a new CA, server and client certificate
        await asyncio.sleep(CHECK_INTERVAL_SECONDS + 0.1)

        # The server: the next handshake presents the new certificate.
        async with client_channel(address, TlsFiles(ca=pki.ca_cert)) as fresh:
            assert await _check(fresh) == SERVING
        async with client_channel(address, TlsFiles(ca=old_ca)) as stale:
            await _refused(stale)

        # The client: after a server restart its next connection must verify the new
        # certificate, which only the rotated CA can; the same channel object keeps working.
        await server.stop()
        restarted = GrpcService(name="tls-test", port=server.port, register=lambda s: None,
                                service_names=[])  # fmt: skip
        server = await start_server(restarted, grace=0.1, tls=_server_files(pki))
        assert await _check(channel) == SERVING
    finally:
        await channel.close()
        await server.stop()


def test_settings_turn_tls_on_from_files(pki: Pki, monkeypatch: pytest.MonkeyPatch) -> None:
    assert server_tls(ServiceSettings()) is None and client_tls(ServiceSettings()) is None
    monkeypatch.setenv("GRPC_TLS_CERT_FILE", str(pki.server_cert))
    monkeypatch.setenv("GRPC_TLS_KEY_FILE", str(pki.server_key))
    monkeypatch.setenv("GRPC_TLS_CA_FILE", str(pki.ca_cert))
    monkeypatch.setenv("GRPC_TLS_REQUIRE_CLIENT_CERT", "true")
    settings = load_settings(ServiceSettings)
    assert server_tls(settings) == _server_files(pki, mutual=True)
    assert client_tls(settings) == TlsFiles(pki.server_cert, pki.server_key, pki.ca_cert)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"GRPC_TLS_CERT_FILE": "{cert}"}, "set together"),
        ({"GRPC_TLS_REQUIRE_CLIENT_CERT": "true"}, "needs GRPC_TLS_CA_FILE"),
        ({"GRPC_TLS_CA_FILE": "/nonexistent/ca.pem"}, "does not exist"),
    ],
)
def test_inconsistent_tls_settings_are_refused(
    pki: Pki, monkeypatch: pytest.MonkeyPatch, env: dict[str, str], message: str
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value.format(cert=pki.server_cert))
    with pytest.raises(SettingsError, match=message):
        load_settings(ServiceSettings)
