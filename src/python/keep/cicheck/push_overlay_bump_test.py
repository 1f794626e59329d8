"""build-support/ci/push-overlay-bump.sh against a local bare "origin"."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from keep.release.testing import commit, git

SCRIPT = Path("build-support/ci/push-overlay-bump.sh").resolve()
OVERLAY = "deploy/kustomize/overlays/dev/kustomization.yaml"


@pytest.fixture
def clones(tmp_path: Path) -> tuple[Path, Path]:
    origin = tmp_path / "origin.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(origin))
    work = tmp_path / "work"
    git(tmp_path, "clone", "-q", str(origin), str(work))
    commit(work, {OVERLAY: "newTag: a\n", "README.md": "r\n"}, "initial")
    git(work, "push", "-q", "origin", "HEAD:main")
    other = tmp_path / "other"
    git(tmp_path, "clone", "-q", str(origin), str(other))
    return work, other


def _run(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("GITHUB_TOKEN", "GITHUB_REF_NAME")}
    return subprocess.run(
        [str(SCRIPT), *args],
        cwd=repo,
        env={**env, "KEEP_PUSH_BRANCH": "main"},
        capture_output=True,
        text=True,
        check=False,
    )


def test_no_change_no_commit(clones: tuple[Path, Path]) -> None:
    work, _ = clones
    head = git(work, "rev-parse", "HEAD")
    proc = _run(work, "deploy/kustomize/overlays/dev", "bump [skip ci]")
    assert proc.returncode == 0 and "nothing changed" in proc.stdout
    assert git(work, "rev-parse", "HEAD") == head


def test_commits_only_the_overlay_and_pushes(clones: tuple[Path, Path]) -> None:
    work, _ = clones
    (work / OVERLAY).write_text("newTag: b\n")
    (work / "stray.txt").write_text("not part of the bump\n")
    proc = _run(work, "deploy/kustomize/overlays/dev", "deploy(dev): x [skip ci]")
    assert proc.returncode == 0, proc.stderr
    assert git(work, "ls-remote", "origin", "main").split()[0] == git(work, "rev-parse", "HEAD")
    assert (
        git(work, "log", "-1", "--format=%s%n%an")
        == "deploy(dev): x [skip ci]\ngithub-actions[bot]"
    )
    assert git(work, "show", "--name-only", "--format=", "HEAD") == OVERLAY


def test_rebases_when_main_moved(clones: tuple[Path, Path]) -> None:
    work, other = clones
    commit(other, {"README.md": "someone else\n"}, "meanwhile")
    git(other, "push", "-q", "origin", "HEAD:main")
    (work / OVERLAY).write_text("newTag: c\n")
    proc = _run(work, "deploy/kustomize/overlays/dev", "bump [skip ci]")
    assert proc.returncode == 0, proc.stderr
    assert "rebasing" in proc.stderr
    log = git(work, "log", "--format=%s", "origin/main", "-3").splitlines()
    assert log[:2] == ["bump [skip ci]", "meanwhile"]


def test_usage() -> None:
    assert _run(Path.cwd(), "only-one-arg").returncode == 2
