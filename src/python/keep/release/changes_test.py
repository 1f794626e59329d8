from __future__ import annotations

from pathlib import Path

import pytest

from keep.release import changes
from keep.release.testing import commit, git, write


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("pants.toml", True),
        ("pants", True),
        ("3rdparty/python/default.lock", True),
        ("3rdparty/python/requirements.txt", True),
        ("build-support/images/recipes/redis.sh", True),
        ("build-support/images/lib.sh", True),
        (".ci/run", True),
        ("src/python/keep/gateway/app.py", False),
        ("src/proto/keep/datastorage/v1/datastorage.proto", False),
        ("deploy/kustomize/overlays/dev/kustomization.yaml", False),
        ("docs/pants.toml.md", False),
        ("src/python/keep/build-support/x.py", False),
    ],
)
def test_global_patterns(path: str, expected: bool) -> None:
    assert bool(changes.global_changes([path])) is expected


def test_extra_pattern() -> None:
    assert changes.global_changes(["Dockerfile.base"], ("Dockerfile.*",)) == ["Dockerfile.base"]


def test_nothing_changed(repo: Path) -> None:
    cs = changes.compute(repo, "HEAD")
    assert cs.files == () and not cs.everything
    assert "no files changed" in cs.describe()


def test_source_change_is_not_global(repo: Path) -> None:
    base = git(repo, "rev-parse", "HEAD")
    commit(repo, {"src/python/keep/gateway/app.py": "x = 2\n"})
    cs = changes.compute(repo, base)
    assert cs.files == ("src/python/keep/gateway/app.py",)
    assert not cs.everything


@pytest.mark.parametrize(
    "path",
    [
        "pants.toml",
        "3rdparty/python/default.lock",
        "build-support/images/recipes/python-base.sh",
        ".ci/run",
    ],
)
def test_config_change_means_everything(repo: Path, path: str) -> None:
    base = git(repo, "rev-parse", "HEAD")
    commit(repo, {path: "changed\n", "src/python/keep/gateway/app.py": "x = 3\n"})
    cs = changes.compute(repo, base)
    assert cs.everything
    assert cs.global_files == (path,)
    assert "every image" in cs.describe()


def test_working_tree_and_untracked_files_count(repo: Path) -> None:
    write(repo, {"src/python/keep/platform/lib.py": "y = 2\n", "3rdparty/python/new.txt": "n\n"})
    cs = changes.compute(repo, "HEAD")
    assert cs.files == ("3rdparty/python/new.txt", "src/python/keep/platform/lib.py")
    assert cs.everything


def test_deleted_file_counts(repo: Path) -> None:
    git(repo, "rm", "-q", "3rdparty/python/default.lock")
    assert changes.compute(repo, "HEAD").everything


def test_unknown_ref_is_an_error(repo: Path) -> None:
    with pytest.raises(changes.GitError):
        changes.compute(repo, "no-such-ref")
