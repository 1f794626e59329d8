"""A release that never finished is published by the next one. Two pushes to a local bare
"origin"; the first push's release is cancelled (its jobs never reach the tag step); the second
release computes its scope the way release.yml does (the `--base-ref` of its scope step, with
GitHub's `github.event.before` standing for what the push event would carry) and must include
the first push's change. Then push-release-tag.sh marks the second commit and the third release
starts from there; the tag never moves backwards."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from keep.cicheck.workflows import commands, load
from keep.release import ci_scope
from keep.release.testing import commit, git

TAG_SCRIPT = Path("build-support/ci/push-release-tag.sh").resolve()
RELEASE = next(wf for wf in load() if wf.name == "release.yml")


def _scope_base_ref(event_before: str) -> str:
    """The ref release.yml's scope step passes to `ci-scope --base-ref`, for a push whose
    `github.event.before` is `event_before`."""
    step = next(s for s in RELEASE.steps() if "ci-scope" in str(s.data.get("run")))
    (words,) = (w for w in commands(step.data["run"]) if "ci-scope" in w)
    value = words[words.index("--base-ref") + 1]
    variable = re.fullmatch(r"\$\{?(\w+)\}?", value)
    if variable:
        value = str(step.data["env"][variable.group(1)])
    value = re.sub(r"\$\{\{\s*github\.event\.before\s*\}\}", event_before, value)
    assert "${{" not in value, f"cannot evaluate {value} here"
    return value


@pytest.fixture
def origin(tmp_path: Path) -> Path:
    bare = tmp_path / "origin.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(bare))
    seed = tmp_path / "seed"
    git(tmp_path, "clone", "-q", str(bare), str(seed))
    commit(
        seed,
        {
            "pants.toml": "[GLOBAL]\n",
            "src/python/keep/gateway/app.py": "x = 1\n",
            "src/python/keep/ratelimit/app.py": "y = 1\n",
            "src/python/keep/datastorage/app.py": "z = 1\n",
        },
        "initial",
    )
    git(seed, "push", "-q", "origin", "HEAD:main")
    _mark(seed, git(seed, "rev-parse", "HEAD"))  # an earlier release finished here
    return bare


def _push(origin: Path, files: dict[str, str]) -> str:
    """A developer's push to main; returns the pushed sha."""
    work = origin.parent / "dev"
    if not work.exists():
        git(origin.parent, "clone", "-q", str(origin), str(work))
    git(work, "pull", "-q", "--rebase", "origin", "main")
    sha = commit(work, files)
    git(work, "push", "-q", "origin", "HEAD:main")
    return sha


def _runner_checkout(origin: Path, sha: str) -> Path:
    """actions/checkout with fetch-depth: 0 (all history and tags) at the pushed commit."""
    work = origin.parent / f"runner-{sha[:8]}"
    git(origin.parent, "clone", "-q", str(origin), str(work))
    git(work, "checkout", "-q", sha)
    return work


def _mark(work: Path, sha: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "GITHUB_TOKEN"}
    proc = subprocess.run(
        [str(TAG_SCRIPT), sha], cwd=work, env=env, capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr
    return proc


def _scope_files(origin: Path, sha: str, before: str) -> tuple[Path, tuple[str, ...]]:
    work = _runner_checkout(origin, sha)
    scope = ci_scope.compute(work, _scope_base_ref(before), "push")
    assert not scope.everything, scope.reason
    return work, scope.files


def test_a_cancelled_release_is_published_by_the_next_one(origin: Path) -> None:
    first = _push(origin, {"src/python/keep/gateway/app.py": "x = 2\n"})
    # The first push's release is cancelled: no tag step runs.
    second = _push(origin, {"src/python/keep/ratelimit/app.py": "y = 2\n"})
    work, files = _scope_files(origin, second, before=first)
    assert "src/python/keep/gateway/app.py" in files, "the cancelled release's change is lost"
    assert "src/python/keep/ratelimit/app.py" in files

    _mark(work, second)  # the second release finished
    third = _push(origin, {"src/python/keep/datastorage/app.py": "z = 2\n"})
    _, files = _scope_files(origin, third, before=second)
    assert files == ("src/python/keep/datastorage/app.py",)


def test_the_release_tag_never_moves_backwards(origin: Path) -> None:
    first = _push(origin, {"src/python/keep/gateway/app.py": "x = 3\n"})
    second = _push(origin, {"src/python/keep/gateway/app.py": "x = 4\n"})
    work = _runner_checkout(origin, second)
    assert "-> " + second[:12] in _mark(work, second).stdout
    assert "not moved" in _mark(work, first).stdout
    tag = git(work, "ls-remote", "origin", "refs/tags/released/main").split()[0]
    assert tag == second


def test_usage() -> None:
    proc = subprocess.run([str(TAG_SCRIPT)], capture_output=True, text=True, check=False)
    assert proc.returncode == 2 and "usage" in proc.stderr
