"""Redis, data-storage, ratelimit and the gateway as local processes, started in dependency
order, each waited for until healthy, and stopped in reverse order."""

from __future__ import annotations

import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

import grpc

from keep.datastorage import main as datastorage_main
from keep.devstack.embedded_redis import EmbeddedRedis
from keep.devstack.ports import free_port
from keep.devstack.processes import spawn_module, stop
from keep.gateway import main as gateway_main
from keep.platform.health import is_serving
from keep.platform.tls import TlsFiles, channel_credentials, tls_env
from keep.platform.waiting import GaveUp, exited, wait_until
from keep.ratelimit import main as ratelimit_main


class StackError(Exception):
    """A service did not come up."""


@dataclass
class Stack:
    """`redis_url=None` starts an embedded Redis; `http_port=0` picks a free port."""

    redis_url: str | None = None
    http_port: int = 8080
    # Extra environment per service ("datastorage", "ratelimit", "gateway").
    env: dict[str, dict[str, str]] = field(default_factory=dict)
    # Where children's logs go: None = this process's stdout, or e.g. subprocess.DEVNULL.
    output: int | None = None
    grace_seconds: float = 10.0
    # gRPC TLS between the services (off by default): data-storage and ratelimit serve with
    # `server_tls`; the gateway (and the readiness checks) connect with `client_tls`.
    server_tls: TlsFiles | None = None
    client_tls: TlsFiles | None = None
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    ports: dict[str, int] = field(default_factory=dict)
    _redis: EmbeddedRedis | None = None

    @property
    def url(self) -> str:
        return f"http://localhost:{self.ports['http']}"

    @property
    def pids(self) -> dict[str, int]:
        """Each running process by name (redis only when embedded), e.g. to count CPU time."""
        pids = {name: process.pid for name, process in self.processes.items()}
        if self._redis is not None and self._redis.pid is not None:
            pids["redis"] = self._redis.pid
        return pids

    def start(self, timeout: float = 60.0) -> Stack:
        try:
            self._start(time.monotonic() + timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def _start(self, deadline: float) -> None:
        if self.redis_url is None:
            self._redis = EmbeddedRedis().start()
            self.redis_url = self._redis.url
        self.ports = {
            "http": self.http_port or free_port(),
            "datastorage": free_port(),
            "ratelimit": free_port(),
        }
        common = {"SHUTDOWN_GRACE_SECONDS": str(self.grace_seconds / 2)}
        servers = {**common, **(tls_env(self.server_tls) if self.server_tls else {})}
        self._spawn(datastorage_main.__name__, "datastorage", {
            **servers, "GRPC_PORT": str(self.ports["datastorage"]), "REDIS_URL": self.redis_url,
        })  # fmt: skip
        self._spawn(ratelimit_main.__name__, "ratelimit", {
            **servers, "GRPC_PORT": str(self.ports["ratelimit"]), "REDIS_URL": self.redis_url,
        })  # fmt: skip
        credentials = channel_credentials(self.client_tls) if self.client_tls else None
        for name in ("datastorage", "ratelimit"):
            self._wait(name, deadline, partial(_grpc_ready, self.ports[name], credentials))
        self._spawn(gateway_main.__name__, "gateway", {
            **common,
            **(tls_env(self.client_tls) if self.client_tls else {}),
            "HTTP_PORT": str(self.ports["http"]),
            "PUBLIC_URL": f"http://localhost:{self.ports['http']}",
            "DATASTORAGE_ADDRESS": f"127.0.0.1:{self.ports['datastorage']}",
            "RATELIMIT_ADDRESS": f"127.0.0.1:{self.ports['ratelimit']}",
        })  # fmt: skip
        self._wait("gateway", deadline, lambda: http_ready(self.ports["http"]))

    def _spawn(self, module: str, name: str, env: dict[str, str]) -> None:
        port = free_port()
        self.ports[f"{name}_metrics"] = port
        merged = {"METRICS_PORT": str(port), **env, **self.env.get(name, {})}
        self.processes[name] = spawn_module(module, merged, self.output)

    def _wait(self, name: str, deadline: float, ready: Callable[[], bool]) -> None:
        try:
            wait_until(
                ready,
                what=name,
                timeout=max(0.0, deadline - time.monotonic()),
                interval=0.1,
                gave_up=exited(self.processes[name]),
            )
        except (TimeoutError, GaveUp) as e:
            raise StackError(str(e)) from None

    def stop(self) -> dict[str, int]:
        """Stops the gateway first (no new requests), then the backends, then Redis."""
        codes = {}
        for name in ("gateway", "ratelimit", "datastorage"):
            process = self.processes.pop(name, None)
            if process is not None:
                codes[name] = stop(process, self.grace_seconds)
        if self._redis is not None:
            self._redis.stop()
            self._redis = None
        return codes

    def __enter__(self) -> Stack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _grpc_ready(port: int, credentials: grpc.ChannelCredentials | None) -> bool:
    return is_serving(f"127.0.0.1:{port}", credentials=credentials)


def http_ready(port: int) -> bool:
    """One check of the gateway's readiness endpoint on 127.0.0.1:port."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=1) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False
