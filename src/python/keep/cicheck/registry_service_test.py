"""setup-runner.sh's registry step on a host where systemd started Debian's docker-registry
package's own service (GitHub's Ubuntu runners: installing the package starts it, on :5000, with
htpasswd auth). The service here is the real binary with the package's own configuration
(/etc/docker/registry/config.yml), moved to a free port. systemd itself cannot run in a test, so
`systemctl` is a small script standing in for the two calls the setup makes (is-active, disable
--now); a second test uses this machine's real systemctl, which finds no running systemd."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from keep.platform.waiting import wait_until

SCRIPT = Path("build-support/registry/ensure-registry.sh").resolve()
PACKAGE_CONFIG = Path("/etc/docker/registry/config.yml")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(port: int) -> requests.Response | None:
    try:
        return requests.get(f"http://127.0.0.1:{port}/v2/", timeout=2)
    except requests.ConnectionError:
        return None


@dataclass
class PackageService:
    port: int
    process: subprocess.Popen[bytes]


@pytest.fixture
def package_service(tmp_path: Path) -> Iterator[PackageService]:
    assert (
        PACKAGE_CONFIG.is_file()
    ), "Debian's docker-registry package (setup-runner.sh installs it)"
    port = _free_port()
    config = PACKAGE_CONFIG.read_text()
    assert "addr: :5000" in config and "htpasswd:" in config, config
    config = config.replace("addr: :5000", f"addr: 127.0.0.1:{port}").replace(
        "/var/lib/docker-registry", str(tmp_path / "package-storage")
    )
    (tmp_path / "package-config.yml").write_text(config)
    process = subprocess.Popen(
        ["docker-registry", "serve", str(tmp_path / "package-config.yml")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    wait_until(lambda: _get(port) is not None, what="the package's registry", timeout=20)
    response = _get(port)
    assert response is not None
    assert response.status_code == 401, "the package's service wants a login"
    try:
        yield PackageService(port, process)
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()


def _ensure(
    tmp_path: Path, port: int, path_prefix: str | None, *args: str
) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "KEEP_REGISTRY_ADDR": f"127.0.0.1:{port}",
        "KEEP_REGISTRY_DIR": str(tmp_path / "ours"),
    }
    if path_prefix:
        env["PATH"] = f"{path_prefix}:{env['PATH']}"
    return subprocess.run(
        [str(SCRIPT), *args], env=env, capture_output=True, text=True, check=False, timeout=60
    )


def _systemctl_standing_in_for_systemd(tmp_path: Path, service: PackageService) -> Path:
    """`systemctl is-active --quiet docker-registry.service` and `systemctl disable --now
    docker-registry.service`, acting on the running package service; every call is logged."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    calls = tmp_path / "systemctl.calls"
    (bin_dir / "systemctl").write_text(
        f"""#!/bin/sh
echo "$*" >> {calls}
case "$*" in
  "is-active --quiet docker-registry.service") kill -0 {service.process.pid} 2>/dev/null ;;
  "disable --now docker-registry.service") kill {service.process.pid} ;;
  *) echo "unexpected systemctl call: $*" >&2; exit 64 ;;
esac
"""
    )
    (bin_dir / "systemctl").chmod(0o755)
    return bin_dir


def test_setup_stops_the_package_service_and_starts_the_keep_registry(
    tmp_path: Path, package_service: PackageService
) -> None:
    bin_dir = _systemctl_standing_in_for_systemd(tmp_path, package_service)
    started = _ensure(tmp_path, package_service.port, str(bin_dir), "start")
    try:
        assert started.returncode == 0, started.stderr
        assert (tmp_path / "systemctl.calls").read_text().splitlines() == [
            "is-active --quiet docker-registry.service",
            "disable --now docker-registry.service",
        ]
        response = _get(package_service.port)
        assert response is not None and response.status_code == 200, "ours needs no login"
        assert response.headers["Docker-Distribution-Api-Version"] == "registry/2.0"
    finally:
        stopped = _ensure(tmp_path, package_service.port, None, "stop")
    assert stopped.returncode == 0, stopped.stderr


def test_without_systemd_the_error_names_the_package_service(
    tmp_path: Path, package_service: PackageService
) -> None:
    """This machine's real systemctl: no systemd runs here, so nothing can be stopped."""
    proc = _ensure(tmp_path, package_service.port, None, "start")
    assert proc.returncode != 0
    assert "docker-registry package" in proc.stderr and "KEEP_REGISTRY_ADDR" in proc.stderr
    assert (
        package_service.process.poll() is None
    ), "a registry the script did not start is left alone"
    os.killpg(package_service.process.pid, signal.SIGTERM)
