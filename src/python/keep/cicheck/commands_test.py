"""Every `run:` step calls a command that exists: a repo script, a Pants goal on real paths, a
`./pants run` address that builds and accepts the subcommand and flags, or a known runner tool."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest

from keep.cicheck.workflows import Step, commands, load, quote

STEPS = [s for wf in load() for s in wf.steps() if "run" in s.data]

# Tools of GitHub's ubuntu runner image (or bash builtins) that steps may call directly.
SYSTEM = {
    "git",
    "gcloud",  # google-github-actions/setup-gcloud
    "terraform",  # hashicorp/setup-terraform
    "jq",
    "echo",
    "printf",
    "cat",
    "tee",
    "mkdir",
    "mapfile",
    "[",
}
PANTS_GOALS = {"lint", "check", "test", "package", "fmt", "tailor", "update-build-files", "run"}


@cache
def _help(pex: str, subcommand: str) -> str:
    proc = subprocess.run(
        [sys.executable, pex, subcommand, "--help"],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert proc.returncode == 0, f"{pex} {subcommand} --help: {proc.stderr}"
    return proc.stdout


def _flags(words: list[str]) -> list[str]:
    return [w.split("=", 1)[0] for w in words if w.startswith("--")]


def _check_pants_run(words: list[str]) -> list[str]:
    i = words.index("run")
    address = words[i + 1]
    path, _, name = address.partition(":")
    pex = Path(path.replace("/", ".")) / f"{name or Path(path).name}.pex"
    if not pex.is_file():
        return [f"`./pants run {address}`: no such binary target (add it to the test's deps)"]
    rest = words[i + 2 :]
    if not rest or rest[0] != "--" or len(rest) < 2:
        return []
    subcommand, args = rest[1], rest[2:]
    text = _help(str(pex), subcommand)
    return [f"{address} {subcommand}: unknown flag {f}" for f in _flags(args) if f not in text]


def _check_pants(words: list[str]) -> list[str]:
    if "run" in words:
        return _check_pants_run(words)
    errors = []
    for word in words[1:]:
        if word.startswith("-") or word.startswith("$") or word in PANTS_GOALS:
            continue
        if ":" not in word:
            errors.append(f"./pants: unknown goal {word!r}")
            continue
        path = word.split(":", 1)[0]
        if path and not Path(path).is_dir():
            errors.append(f"./pants: spec {word!r} names no directory")
    return errors


def _check_script(words: list[str]) -> list[str]:
    script = Path(words[0].removeprefix("./"))
    if not script.is_file():
        return [f"{words[0]}: no such file (scripts must be files() dependencies of the tests)"]
    if not os.access(script, os.X_OK):
        return [f"{words[0]}: not executable"]
    text = script.read_text()
    return [f"{words[0]}: does not handle {flag}" for flag in _flags(words[1:]) if flag not in text]


def check(words: list[str]) -> list[str]:
    cmd = words[0]
    if cmd in ("./pants", "pants"):
        return _check_pants(words)
    if "/" in cmd:
        return _check_script(words)
    if cmd in SYSTEM:
        return []
    return [f"{cmd}: not a repo command nor a known runner tool"]


@pytest.mark.parametrize("step", STEPS, ids=[s.where for s in STEPS])
def test_run_step_commands_exist(step: Step) -> None:
    cmds = commands(step.data["run"])
    assert cmds, "a run: step without a command"
    errors = [f"{quote(c)}: {e}" for c in cmds for e in check(c)]
    assert not errors, "\n".join(errors)


def test_every_workflow_uses_repo_commands() -> None:
    """The workflows do their work through repo commands (tested), not inline logic."""
    repo_commands = {
        c[0] for s in STEPS for c in commands(s.data["run"]) if c[0] not in SYSTEM - {"terraform"}
    }
    assert {"./pants", "build-support/ci/setup-runner.sh"} <= repo_commands
    assert "build-support/ci/push-overlay-bump.sh" in repo_commands


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        ("a && b --x 'y z' | c > out", [["a"], ["b", "--x", "y z"], ["c"]]),
        ("X=1 ./pants \\\n  lint", [["./pants", "lint"]]),
        ("if [ -z \"$B\" ]; then extra=(--g '*'); fi", [["[", "-z", "$B", "]"]]),
        ('for i in $L; do s+=(--image "$i"); done', []),
        ('{\n  echo a\n} >> "$GITHUB_OUTPUT"', [["echo", "a"]]),
        ("# comment\nmapfile -t args < f", [["mapfile", "-t", "args"]]),
    ],
)
def test_command_splitting(script: str, expected: list[list[str]]) -> None:
    assert commands(script) == expected


def test_checker_rejects_unknown_things() -> None:
    assert check(["curl", "https://example.com"])
    assert check(["./pants", "test", "no/such/dir::"])
    assert check(["./pants", "frobnicate"])
    assert check(["build-support/ci/nope.sh"])
    assert check(["build-support/ci/setup-runner.sh", "--no-such-flag"])
    assert check(["./pants", "run", "src/python/keep/release:cli", "--", "publish", "--nope"])
    assert not check(["./pants", "run", "src/python/keep/release:cli", "--", "bump", "--env"])
    assert re.search("no such binary", " ".join(check(["./pants", "run", "a/b:c"])))
