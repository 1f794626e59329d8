"""The wheel `./pants package src/python/keep/cli:dist` builds: its `keep` console script runs
from the wheel's own files (nothing from this source tree on the path)."""

from __future__ import annotations

import configparser
import subprocess
import sys
import zipfile
from pathlib import Path

import cryptography


def _wheel() -> Path:
    wheels = list(Path.cwd().glob("**/keep_cli-*-py3-none-any.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


def test_wheel_runs_keep(tmp_path: Path) -> None:
    with zipfile.ZipFile(_wheel()) as wheel:
        wheel.extractall(tmp_path / "site")
        names = wheel.namelist()
    assert not any(n.endswith("_test.py") for n in names)
    entry_points = configparser.ConfigParser()
    entry_points.read(next((tmp_path / "site").glob("keep_cli-*.dist-info")) / "entry_points.txt")
    module, function = entry_points["console_scripts"]["keep"].split(":")

    # What pip's generated `keep` script does, with only the wheel and its one requirement.
    site = [str(tmp_path / "site"), str(Path(cryptography.__file__).parent.parent)]
    script = f"import sys; from {module} import {function}; sys.exit({function}())"

    def keep(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-I", "-c", f"import sys; sys.path[:0] = {site!r}; {script}", *argv],
            input="x",
            capture_output=True,
            text=True,
            timeout=60,
        )

    assert keep("--help").returncode == 0
    down = keep("--server", "http://127.0.0.1:9", "send")
    assert down.returncode == 3 and "Cannot reach the Keep server" in down.stderr
    damaged = keep("get", "http://127.0.0.1:9/abc#k1.short")
    assert damaged.returncode == 6 and "link is damaged" in damaged.stderr
