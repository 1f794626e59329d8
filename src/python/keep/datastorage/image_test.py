"""The datastorage image, really built by Pants and really run: hardening, SIGTERM. Size and
layers of every service image: keep/e2e/image_size_test.py. (Start-up time is measured by
`./pants run src/python/keep/bench:image-start`, not here.)"""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator

import pytest
from docker.models.networks import Network

from keep.platform.health import wait_until_serving
from keep.testing.images import Running, built_image, private_network, run
from keep.testing.redis_container import REDIS_IMAGE

IMAGE = built_image("src/python/keep/datastorage:image")


@pytest.fixture
def network() -> Iterator[Network]:
    with private_network() as net:
        run(REDIS_IMAGE, "redis", net, {}, [])
        yield net


def _start(network: Network) -> Running:
    return run(IMAGE, "datastorage", network, {"REDIS_URL": "redis://redis:6379/0"}, [50051, 9101])


def test_serves_as_non_root_on_a_read_only_root(network: Network) -> None:
    container = _start(network)
    wait_until_serving(f"127.0.0.1:{container.host_port(50051)}", timeout=30)
    attrs = container.container.attrs
    assert attrs["Config"]["User"] == "10001:10001"
    assert attrs["HostConfig"]["ReadonlyRootfs"] is True
    assert set(attrs["Config"]["ExposedPorts"]) == {"50051/tcp", "9101/tcp"}
    metrics = urllib.request.urlopen(f"http://127.0.0.1:{container.host_port(9101)}/metrics")
    assert b"keep_grpc_server_requests_total" in metrics.read()


def test_sigterm_drains_and_exits_zero(network: Network) -> None:
    container = _start(network)
    wait_until_serving(f"127.0.0.1:{container.host_port(50051)}", timeout=30)
    container.container.stop(timeout=25)  # SIGTERM to PID 1, SIGKILL only after 25 s
    assert container.container.wait()["StatusCode"] == 0
    logs = container.logs()
    assert '"signal": "SIGTERM"' in logs and '"message": "stopped"' in logs
