"""buf breaking against the merge base, with the buf ./pants provisions: removing a field fails,
adding one passes."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from proto_breaking import breaking, buf_archive

PROTO = """syntax = "proto3";
package demo.v1;
message Secret {
  string id = 1;
  string note = 2;
%s}
"""


def _git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=repo,
        check=True,
        capture_output=True,
    )


def _write(repo: Path, extra_fields: str = "", drop_note: bool = False) -> None:
    text = PROTO % extra_fields
    if drop_note:
        text = text.replace("  string note = 2;\n", "")
    (repo / "src/proto/demo/v1/demo.proto").write_text(text)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repo whose main branch has demo.proto, checked out on a feature branch."""
    (tmp_path / "src/proto/demo/v1").mkdir(parents=True)
    shutil.copy("src/proto/buf.yaml", tmp_path / "src/proto/buf.yaml")
    _write(tmp_path)
    _git(tmp_path, "init", "-q", "-b", "main")
    _git(tmp_path, "add", "-A")
    _git(tmp_path, "commit", "-q", "-m", "base")
    _git(tmp_path, "checkout", "-q", "-b", "feature")
    return tmp_path


@pytest.fixture
def buf_zip() -> Path:
    return buf_archive(Path("pants.toml"), Path(os.environ["KEEP_TOOLS_DIR"]))


def test_a_removed_field_fails_with_bufs_message(repo: Path, buf_zip: Path) -> None:
    _write(repo, drop_note=True)
    _git(repo, "commit", "-q", "-am", "drop note")

    result = breaking(repo, "main", buf_zip)

    assert result.returncode != 0
    assert 'Previously present field "2" with name "note" on message "Secret" was deleted' in (
        result.stdout + result.stderr
    )


def test_an_added_field_passes(repo: Path, buf_zip: Path) -> None:
    _write(repo, extra_fields="  string label = 3;\n")
    _git(repo, "commit", "-q", "-am", "add label")

    result = breaking(repo, "main", buf_zip)

    assert result.returncode == 0, result.stdout + result.stderr


def test_uncommitted_changes_count(repo: Path, buf_zip: Path) -> None:
    _write(repo, drop_note=True)  # not committed: CI compares the working tree

    assert breaking(repo, "main", buf_zip).returncode != 0
