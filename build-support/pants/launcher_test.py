"""./pants on a machine it cannot bootstrap: a clear message per OS, and no package manager run.

The launcher is run for real (bash) with a fake `uname` to play other platforms, in a copy of
the repo's entry files, with HOME and the cache in tmp so nothing of the machine's Pants is used.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

LAUNCHER = Path("pants")
# Package managers and privilege escalation: the launcher must never call them.
FORBIDDEN = ("apt-get", "apt", "sudo", "brew", "dnf", "yum", "pip3")


def _script(path: Path, body: str) -> None:
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(path.stat().st_mode | stat.S_IEXEC)


@pytest.fixture
def machine(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    (repo / "build-support" / "pants").mkdir(parents=True)
    shutil.copy(LAUNCHER, repo / "pants")
    for name in ("pants.toml", "build-support/pants/pants.lock"):
        (repo / name).write_text("")
    for name in ("provision_tools.py", "tool_pins.py"):
        (repo / "build-support" / "pants" / name).write_text("")
    fakebin = tmp_path / "bin"
    fakebin.mkdir()
    _script(
        fakebin / "uname", 'case "$1" in -s) echo "$FAKE_UNAME_S";; -m) echo "$FAKE_UNAME_M";; esac'
    )
    # A python3.9 on PATH that is not one (exits non-zero), hiding any real one.
    _script(fakebin / "python3.9", "exit 1")
    for tool in FORBIDDEN:
        _script(fakebin / tool, f'echo {tool} >> "{tmp_path}/forbidden-calls"; exit 1')
    (tmp_path / "home").mkdir()
    return tmp_path


def _run(machine: Path, system: str, arch: str) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": f"{machine / 'bin'}:/usr/bin:/bin",
        "HOME": str(machine / "home"),
        "KEEP_PANTS_CACHE": str(machine / "cache"),
        "FAKE_UNAME_S": system,
        "FAKE_UNAME_M": arch,
    }
    result = subprocess.run(
        ["bash", str(machine / "repo" / "pants"), "--version"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert not (machine / "forbidden-calls").exists(), (machine / "forbidden-calls").read_text()
    assert result.returncode == 1
    return result


def test_macos_without_python39_is_told_to_use_homebrew_or_pyenv(machine: Path) -> None:
    result = _run(machine, "Darwin", "arm64")
    assert "needs Python 3.9" in result.stderr
    assert "brew install python@3.9" in result.stderr
    assert "PANTS_PYTHON" in result.stderr


def test_linux_without_python39_is_told_how_on_its_distribution(machine: Path) -> None:
    result = _run(machine, "Linux", "aarch64")
    assert "needs Python 3.9" in result.stderr
    # Every Linux branch names pyenv; the distribution's own way comes first where there is one.
    assert "pyenv install 3.9.18" in result.stderr


@pytest.mark.parametrize(
    ("system", "arch", "message"),
    [
        ("FreeBSD", "amd64", "FreeBSD is not supported"),
        ("Linux", "riscv64", "riscv64 is not supported"),
    ],
)
def test_unsupported_platforms_are_named(
    machine: Path, system: str, arch: str, message: str
) -> None:
    result = _run(machine, system, arch)
    assert message in result.stderr
    assert not (machine / "cache").exists()  # refused before touching anything


def test_the_launcher_never_mentions_installing_system_packages_itself() -> None:
    code = [
        line
        for line in LAUNCHER.read_text().splitlines()
        if not line.lstrip().startswith(("#", "echo"))
    ]
    assert not [line for line in code if "apt-get" in line or "brew " in line]
    assert os.access(LAUNCHER, os.X_OK)
