"""The Pants invocations the release tool needs."""

from __future__ import annotations

import os
import shlex
import subprocess
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

Runner = Callable[[Sequence[str], Path, Mapping[str, str]], "subprocess.CompletedProcess[str]"]


def run_streaming(
    argv: Sequence[str], cwd: Path, env: Mapping[str, str]
) -> subprocess.CompletedProcess[str]:
    """Run with stdout captured (we parse it) and stderr passed through (Pants' progress)."""
    return subprocess.run(
        list(argv),
        cwd=cwd,
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        text=True,
        check=False,
    )


class PantsError(RuntimeError):
    pass


def default_command() -> tuple[str, ...]:
    """`$KEEP_PANTS` (e.g. "./pants --no-pantsd") or ./pants."""
    return tuple(shlex.split(os.environ.get("KEEP_PANTS", "./pants")))


def default_env() -> dict[str, str]:
    """Environment for the nested Pants runs.

    Under `./pants run ...:release` the outer Pants run holds pantsd's run lock until the tool
    exits, so a nested Pants talking to the same pantsd would wait for it (and time out after
    60 s). PANTS_CONCURRENT=True makes the nested runs skip pantsd (about 20 s start-up each).
    Running the tool outside Pants (e.g. a packaged PEX), KEEP_PANTS_CONCURRENT=false lets
    them use pantsd.
    """
    concurrent = os.environ.get("KEEP_PANTS_CONCURRENT", "true").lower() not in ("0", "false", "no")
    return {"PANTS_CONCURRENT": "True"} if concurrent else {}


@dataclass
class Pants:
    buildroot: Path
    command: tuple[str, ...] = field(default_factory=default_command)
    runner: Runner = run_streaming
    env: dict[str, str] = field(default_factory=default_env)

    def _run(self, *args: str) -> str:
        argv = [*self.command, *args]
        proc = self.runner(argv, self.buildroot, self.env)
        if proc.returncode != 0:
            raise PantsError(f"`{shlex.join(argv)}` failed with exit code {proc.returncode}")
        return proc.stdout or ""

    def list_images(self, changed_since: str | None) -> list[str]:
        """docker_image targets: all of them, or those affected by changes since a ref."""
        if changed_since is None:
            out = self._run("--filter-target-type=docker_image", "list", "::")
        else:
            out = self._run(
                f"--changed-since={changed_since}",
                "--changed-dependents=transitive",
                "--filter-target-type=docker_image",
                "list",
            )
        return sorted({line.strip() for line in out.splitlines() if line.strip()})

    def package(self, targets: Sequence[str]) -> None:
        if targets:
            self._run("package", *targets)
