"""The whole stack with mutual TLS between the gateway and its backends (a generated CA): the
curl contract works end to end, and the backends refuse plaintext and certificate-less callers."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator

import pytest
import requests

from keep.devstack.stack import Stack
from keep.platform.health import is_serving
from keep.platform.tls import TlsFiles, channel_credentials
from keep.testing.tls import Pki, write_pki


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return write_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def stack(pki: Pki) -> Iterator[Stack]:
    server = TlsFiles(pki.server_cert, pki.server_key, pki.ca_cert, require_client_cert=True)
    client = TlsFiles(pki.client_cert, pki.client_key, pki.ca_cert)
    with Stack(http_port=0, output=subprocess.DEVNULL, server_tls=server, client_tls=client) as s:
        yield s


def test_create_and_reveal_over_mutual_tls(stack: Stack) -> None:
    created = requests.post(stack.url + "/", data="over TLS", timeout=15)
    assert created.status_code == 201, created.content
    revealed = requests.post(created.json()["url"], data=created.json()["password"], timeout=15)
    assert (revealed.status_code, revealed.content) == (200, b"over TLS")


@pytest.mark.parametrize("backend", ["datastorage", "ratelimit"])
def test_backends_refuse_plaintext_and_clients_without_a_certificate(
    stack: Stack, pki: Pki, backend: str
) -> None:
    address = f"127.0.0.1:{stack.ports[backend]}"
    client = TlsFiles(pki.client_cert, pki.client_key, pki.ca_cert)
    assert is_serving(address, credentials=channel_credentials(client))
    assert not is_serving(address)
    assert not is_serving(address, credentials=channel_credentials(TlsFiles(ca=pki.ca_cert)))
