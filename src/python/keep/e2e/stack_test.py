"""The whole stack on the real images Pants built: Redis and every service on a private Docker
network, wired by container name the way the Kubernetes manifests wire them."""

from __future__ import annotations

import json
import subprocess
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from keep.platform.health import wait_until_serving
from keep.testing.images import Running, built_image, private_network, run
from keep.testing.redis_container import REDIS_IMAGE


@dataclass
class Stack:
    datastorage: Running
    ratelimit: Running
    gateway: Running

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.gateway.host_port(8080)}"


def _wait_for_http(url: str, timeout: float = 30) -> None:
    curl = ["curl", "-fsS", "--retry", str(int(timeout * 2)), "--retry-delay", "0"]
    subprocess.run([*curl, "--retry-all-errors", "--retry-max-time", str(timeout), url], check=True)


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    redis_url = {"REDIS_URL": "redis://redis:6379/0"}
    with private_network() as network:
        run(REDIS_IMAGE, "redis", network, {}, [])
        datastorage = run(
            built_image("src/python/keep/datastorage:image"),
            "datastorage",
            network,
            redis_url,
            [50051, 9101],
        )
        ratelimit = run(
            built_image("src/python/keep/ratelimit:image"),
            "ratelimit",
            network,
            redis_url,
            [50052, 9102],
        )
        gateway = run(
            built_image("src/python/keep/gateway:image"),
            "gateway",
            network,
            {
                "DATASTORAGE_ADDRESS": "datastorage:50051",
                "RATELIMIT_ADDRESS": "ratelimit:50052",
                "PUBLIC_URL": "https://keep.example.com",
            },
            [8080, 9103],
        )
        stack = Stack(datastorage, ratelimit, gateway)
        wait_until_serving(f"127.0.0.1:{datastorage.host_port(50051)}")
        wait_until_serving(f"127.0.0.1:{ratelimit.host_port(50052)}")
        _wait_for_http(f"{stack.url}/readyz")
        yield stack


def curl(*args: str) -> tuple[int, str]:
    """Runs curl like a user would; returns (HTTP status, body)."""
    result = subprocess.run(
        ["curl", "-sS", "-w", "\n%{http_code}", *args], check=True, capture_output=True, text=True
    )
    body, _, status = result.stdout.rpartition("\n")
    return int(status), body


def test_the_curl_contract(stack: Stack) -> None:
    status, body = curl("-d", "some secret", f"{stack.url}/")
    assert status == 201
    created = json.loads(body)
    assert created["url"] == f"https://keep.example.com/{created['id']}"
    # The public URL points at the edge; inside this test the gateway is on a mapped port.
    url = f"{stack.url}/{created['id']}"
    assert curl("-d", created["password"], url) == (200, "some secret")
    status, body = curl("-d", created["password"], url)
    assert status == 404
    assert "No such secret" in json.loads(body)["error"]["message"]


def test_health_and_metrics_endpoints(stack: Stack) -> None:
    assert curl(f"{stack.url}/healthz")[0] == 200
    assert curl(f"{stack.url}/readyz")[0] == 200
    for service, grpc_port in ((stack.datastorage, 50051), (stack.ratelimit, 50052)):
        wait_until_serving(f"127.0.0.1:{service.host_port(grpc_port)}", "liveness", timeout=5)
    for service, metrics_port, metric in (
        (stack.datastorage, 9101, b"keep_secrets_created_total"),
        (stack.ratelimit, 9102, b"keep_grpc_server_requests_total"),
        (stack.gateway, 9103, b"keep_gateway"),
    ):
        with urllib.request.urlopen(
            f"http://127.0.0.1:{service.host_port(metrics_port)}/metrics"
        ) as r:
            assert metric in r.read()


def test_sigterm_shuts_every_service_down_cleanly(stack: Stack) -> None:
    # Gateway first, as Kubernetes drains the edge before the backends it calls.
    for service in (stack.gateway, stack.datastorage, stack.ratelimit):
        service.container.stop(timeout=25)
        assert service.container.wait()["StatusCode"] == 0, service.logs()
        logs = service.logs()
        assert '"signal": "SIGTERM"' in logs and '"message": "stopped"' in logs, logs
