"""actionlint, zizmor (offline, pedantic), yamllint and check-jsonschema on every workflow."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from keep.cicheck import tools
from keep.cicheck.workflows import WORKFLOWS_DIR, load

WORKFLOWS = [str(w.path) for w in load()]


def test_there_are_workflows() -> None:
    names = {Path(p).name for p in WORKFLOWS}
    assert {"ci.yml", "release.yml", "promote.yml", "terraform.yml"} <= names


def _ok(proc: subprocess.CompletedProcess[str]) -> None:
    assert proc.returncode == 0, f"exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}"


def test_actionlint() -> None:
    # actionlint also runs shellcheck on every run: script when shellcheck is on PATH (CI runners).
    _ok(tools.run([tools.binary("actionlint"), "-no-color", *WORKFLOWS]))


def test_zizmor_offline_pedantic() -> None:
    proc = tools.run(
        [tools.binary("zizmor"), "--offline", "--persona=pedantic", "--no-progress", WORKFLOWS_DIR]
    )
    _ok(proc)
    assert "No findings" in proc.stdout + proc.stderr


def test_yamllint() -> None:
    _ok(
        tools.run(
            [*tools.python_module("yamllint"), "--strict", "-c", ".yamllint.yaml", *WORKFLOWS]
        )
    )


def test_github_workflow_schema() -> None:
    proc = tools.run(
        [
            *tools.python_module("check_jsonschema"),
            "--builtin-schema",
            "vendor.github-workflows",
            *WORKFLOWS,
        ]
    )
    _ok(proc)


@pytest.mark.parametrize("tool", ["actionlint", "zizmor"])
def test_linters_reject_a_broken_workflow(tmp_path: Path, tool: str) -> None:
    """The linters really run (a clean result is not an empty one)."""
    bad = tmp_path / ".github" / "workflows" / "bad.yml"
    bad.parent.mkdir(parents=True)
    bad.write_text(
        "on: pull_request_target\n"
        "jobs:\n"
        "  x:\n"
        "    runs-on: ubuntu-24.04\n"
        "    steps:\n"
        "      - uses: actions/checkout@v4\n"
        "        with:\n"
        "          ref: ${{ github.event.pull_request.head.sha }}\n"
        "      - run: echo ${{ github.event.pull_request.title }} ${{ undefined.context }}\n"
    )
    argv: list[str | Path] = (
        [tools.binary("actionlint"), "-no-color", bad]
        if tool == "actionlint"
        else [tools.binary("zizmor"), "--offline", "--no-progress", bad]
    )
    assert tools.run(argv).returncode != 0
