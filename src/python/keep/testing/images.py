"""Run the images Pants built for a test (`runtime_package_dependencies`) as real containers.

Pants puts each docker_image's `<name>.docker-info.json` in the test sandbox; the image id in
it is what the test runs, so a test always exercises exactly the image built from this commit.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import docker
from docker.models.containers import Container
from docker.models.networks import Network

from keep.release import docker_info


def built_image(address: str) -> str:
    """The image id of a docker_image target listed in the test's runtime_package_dependencies."""
    return docker_info.load(Path.cwd(), address).image_id


@contextmanager
def private_network() -> Iterator[Network]:
    """A user-defined bridge network: containers reach each other by name, as in Kubernetes."""
    client = docker.from_env()
    network = client.networks.create(f"keep-test-{uuid.uuid4().hex[:8]}", driver="bridge")
    try:
        yield network
    finally:
        network.reload()
        for container in network.containers:
            container.remove(force=True)
        network.remove()


@dataclass
class Running:
    container: Container

    def host_port(self, container_port: int) -> int:
        self.container.reload()
        binding = self.container.ports[f"{container_port}/tcp"][0]
        return int(binding["HostPort"])

    def logs(self) -> str:
        return str(self.container.logs().decode())


def run(image: str, name: str, network: Network, env: dict[str, str], ports: list[int]) -> Running:
    """Starts a container the way the Kubernetes manifests run it: non-root, read-only root
    filesystem, no capabilities, reachable as `name` on the network."""
    container = docker.from_env().containers.run(
        image,
        name=f"{network.name}-{name}",
        hostname=name,
        network=network.name,
        environment=env,
        ports={f"{p}/tcp": ("127.0.0.1", None) for p in ports},
        read_only=True,
        cap_drop=["ALL"],
        security_opt=["no-new-privileges"],
        detach=True,
    )
    network.reload()
    # Other containers find it by its short name, like a Kubernetes Service.
    network.disconnect(container)
    network.connect(container, aliases=[name])
    return Running(container)
