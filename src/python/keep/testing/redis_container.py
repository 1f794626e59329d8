"""A real Redis for tests: the project's own image, through testcontainers.

The container's host port is fixed for its lifetime, so tests can stop and restart Redis
under a running service and the service reconnects to the same address.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import redis
from testcontainers.core.container import DockerContainer
from testcontainers.core.waiting_utils import wait_for_logs
from testcontainers.redis import RedisContainer

from keep.devstack.ports import free_port
from keep.testing.tls import Pki

# Built from Debian packages by build-support/images (nothing can be pulled on CI machines).
REDIS_IMAGE = os.environ.get("KEEP_REDIS_IMAGE", "keep/redis:7.0-bookworm-r1")


@dataclass
class RunningRedis:
    container: DockerContainer
    host_port: int
    cluster = False

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.host_port}/0"

    def client(self) -> redis.Redis:
        return redis.Redis.from_url(self.url)

    def stop(self) -> None:
        self.container.get_wrapped_container().stop(timeout=5)

    def start(self) -> None:
        self.container.get_wrapped_container().start()
        wait_for_logs(self.container, "Ready to accept connections", timeout=30)


@contextmanager
def redis_container(*flags: str) -> Iterator[RunningRedis]:
    """`flags` are redis-server options, e.g. "--maxmemory", "4mb"."""
    port = free_port()
    container = RedisContainer(REDIS_IMAGE).with_bind_ports(6379, port)
    if flags:
        container = container.with_command(["redis-server", *flags])
    with container:
        yield RunningRedis(container, port)


@contextmanager
def tls_redis_container(pki: Pki, password: str) -> Iterator[RunningRedis]:
    """Redis the way Memorystore serves it: TLS only (server certificate from `pki`) and AUTH."""
    port = free_port()
    container = (
        DockerContainer(REDIS_IMAGE)
        .with_bind_ports(6379, port)
        .with_volume_mapping(str(pki.ca_cert.parent), "/tls", "ro")
        .with_command(
            "--port 0 --tls-port 6379 --tls-auth-clients no"
            f" --tls-cert-file /tls/{pki.server_cert.name} --tls-key-file /tls/{pki.server_key.name}"
            f" --tls-ca-cert-file /tls/{pki.ca_cert.name} --requirepass {password}"
        )
    )
    with container:
        wait_for_logs(container, "Ready to accept connections", timeout=30)
        yield RunningRedis(container, port)
