"""Every `./pants` command a README shows names real targets, and every `./pants run` names
exactly one runnable target (issue: the datastorage README's `./pants run
src/python/keep/datastorage` is ambiguous and fails)."""

from __future__ import annotations

from pathlib import Path

import pytest

from keep.cicheck import pants_specs
from keep.cicheck.readme_commands import ShownCommand, pants_commands

ROOT = Path(".")
READMES = sorted(
    p for p in ROOT.rglob("README.md") if not any(part.startswith(".") for part in p.parts[:-1])
) + sorted(ROOT.glob(".github/README.md"))
COMMANDS = [c for r in READMES for c in pants_commands(r)]


def test_the_readmes_and_their_commands_are_found() -> None:
    assert Path("README.md") in READMES and Path("src/python/keep/datastorage/README.md") in READMES
    assert len(COMMANDS) >= 20, [c.where for c in COMMANDS]


@pytest.mark.parametrize("cmd", COMMANDS, ids=[f"{c.where} {' '.join(c.words)}" for c in COMMANDS])
def test_readme_pants_command_resolves(cmd: ShownCommand) -> None:
    problems = pants_specs.check(ROOT, list(cmd.words))
    assert not problems, f"{cmd.where}: `{' '.join(cmd.words)}`:\n" + "\n".join(problems)


@pytest.mark.parametrize(
    ("command", "problem"),
    [
        ("./pants run src/python/keep/datastorage", "ambiguous"),
        ("./pants run src/python/keep/bench:nope", "no target named 'nope'"),
        ("./pants test src/python/keep/nope::", "no such directory"),
        ("./pants frobnicate ::", "unknown goal"),
        ("./pants run src/python/keep/deploycheck:", "ambiguous"),
    ],
)
def test_checker_rejects(command: str, problem: str) -> None:
    assert problem in "\n".join(pants_specs.check(ROOT, command.split()))


@pytest.mark.parametrize(
    "command",
    [
        "./pants run src/python/keep/datastorage:datastorage",
        "./pants run src/python/keep/bench:grpc -- --concurrency 64",
        "./pants --tag=-docker test ::",
        "./pants test src/python/keep/datastorage/crypto_test.py",
        "./pants package src/python/keep/ops:keepctl",
    ],
)
def test_checker_accepts(command: str) -> None:
    assert pants_specs.check(ROOT, command.split()) == []
