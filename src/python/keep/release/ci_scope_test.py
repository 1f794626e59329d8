"""ci-scope against temporary git repositories, and the release chain it feeds:
scope -> publish (what is built and pushed) -> bump (what the dev overlay gets)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from keep.release import ci_scope, cli, kustomize, publish
from keep.release.publish_test import ALL, HASHES, FakePants, FakeRegistry, run
from keep.release.testing import commit, git

OVERLAY = """\
images:
  - name: datastorage
    newName: europe-west1-docker.pkg.dev/keep-artifacts/keep/datastorage
    newTag: unreleased
  - name: gateway
    newName: europe-west1-docker.pkg.dev/keep-artifacts/keep/gateway
    newTag: unreleased
  - name: ratelimit
    newName: europe-west1-docker.pkg.dev/keep-artifacts/keep/ratelimit
    newTag: unreleased
"""


@pytest.fixture
def branched(repo: Path) -> tuple[Path, str]:
    """main with one more commit after the fork point; HEAD is a feature branch."""
    fork = git(repo, "rev-parse", "HEAD")
    git(repo, "checkout", "-q", "-b", "feature")
    git(repo, "branch", "-f", "main-moved", fork)
    git(repo, "checkout", "-q", "main-moved")
    commit(repo, {"docs/README.md": "moved on\n"})  # main advanced; not our change
    git(repo, "checkout", "-q", "feature")
    return repo, fork


def test_service_change_selects_affected_targets_since_merge_base(
    branched: tuple[Path, str],
) -> None:
    repo, fork = branched
    commit(repo, {"src/python/keep/gateway/app.py": "x = 2\n"})
    scope = ci_scope.compute(repo, "main-moved")
    assert not scope.everything and scope.base == fork  # the merge base, not main's tip
    assert scope.files == ("src/python/keep/gateway/app.py",)
    assert scope.pants_args() == [
        f"--changed-since={fork}",
        "--changed-dependents=transitive",
        "lint",
        "check",
        "test",
        "package",
    ]


@pytest.mark.parametrize(
    "path",
    ["pants.toml", "3rdparty/python/default.lock", "pants.ci.toml", ".github/workflows/ci.yml"],
)
def test_config_change_means_everything(branched: tuple[Path, str], path: str) -> None:
    repo, fork = branched
    commit(repo, {path: "changed\n"})
    scope = ci_scope.compute(repo, "main-moved")
    assert scope.everything and scope.base == fork
    assert scope.pants_args(["test"]) == ["test", "::"]
    assert path in scope.reason


def test_other_workflows_are_ordinary_changes(branched: tuple[Path, str]) -> None:
    repo, _ = branched
    commit(repo, {".github/workflows/release.yml": "on: push\n"})
    assert not ci_scope.compute(repo, "main-moved").everything


@pytest.mark.parametrize("event", ["schedule", "workflow_dispatch"])
def test_nightly_and_manual_runs_are_everything(repo: Path, event: str) -> None:
    scope = ci_scope.compute(repo, "HEAD", event)
    assert scope.everything and scope.base is None and event in scope.reason


@pytest.mark.parametrize("ref", ["0" * 40, "", "no-such-ref", "1234567890abcdef" * 2 + "12345678"])
def test_no_merge_base_is_everything(repo: Path, ref: str) -> None:
    scope = ci_scope.compute(repo, ref, "push")
    assert scope.everything and "no merge base" in scope.reason
    assert scope.since() == "HEAD~1"


def test_nothing_changed(repo: Path) -> None:
    scope = ci_scope.compute(repo, "HEAD", "push")
    assert scope.empty and not scope.everything
    assert scope.github_outputs()["empty"] == "true"


def test_cli_writes_args_file_and_github_output(branched: tuple[Path, str], tmp_path: Path) -> None:
    repo, fork = branched
    commit(repo, {"src/python/keep/platform/lib.py": "y = 3\n"})
    args_file, out = tmp_path / "ci" / "args", tmp_path / "github_output"
    out.write_text("earlier=1\n")
    code = cli.main(
        [
            *("--buildroot", str(repo), "ci-scope", "--base-ref", "main-moved"),
            *("--event", "pull_request", "--args-file", str(args_file)),
            *("--github-output", str(out), "--goal", "test"),
        ]
    )
    assert code == 0
    assert args_file.read_text().splitlines() == [
        f"--changed-since={fork}",
        "--changed-dependents=transitive",
        "test",
    ]
    outputs = dict(line.split("=", 1) for line in out.read_text().splitlines())
    assert outputs["earlier"] == "1"
    assert outputs["everything"] == "false" and outputs["base"] == fork
    assert outputs["since"] == fork
    assert outputs["args"] == f"--changed-since={fork} --changed-dependents=transitive test"


def _overlay(repo: Path) -> Path:
    path = kustomize.overlay_path(repo / "deploy" / "kustomize", "dev")
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        path.write_text(OVERLAY)
    return path


def _release(
    repo: Path, base_ref: str, registry: FakeRegistry
) -> tuple[publish.Report, dict[str, str]]:
    """What release.yml does: ci-scope -> publish --since -> bump --report."""
    scope = ci_scope.compute(repo, base_ref, "push")
    extra = ("*",) if scope.everything else ()
    report = run(
        repo,
        scope.since(),
        registry,
        FakePants(repo, HASHES),
        global_patterns=(*ci_scope.CI_GLOBAL_PATTERNS, *extra),
    )
    report_file = repo / "dist" / "publish.json"
    report_file.write_text(report.to_json())
    argv = ["--buildroot", str(repo), "bump", "--env", "dev", "--report", str(report_file)]
    assert cli.main(argv) == 0
    return report, kustomize.read_tags(_overlay(repo))


def test_release_chain_one_service_then_config_change(repo: Path) -> None:
    _overlay(repo)
    before = commit(repo, {"deploy/kustomize/overlays/dev/kustomization.yaml": OVERLAY})
    registry = FakeRegistry(set())

    commit(repo, {"src/python/keep/gateway/app.py": "x = 9\n"})
    report, tags = _release(repo, before, registry)
    assert report.targets == ["src/python/keep/gateway:image"]
    assert registry.pushed == ["127.0.0.1:5000/keep/gateway:g1"]
    assert tags == {"datastorage": "unreleased", "gateway": "g1", "ratelimit": "unreleased"}

    before = commit(
        repo,
        {"deploy/kustomize/overlays/dev/kustomization.yaml": _overlay(repo).read_text()},
        "bump [skip ci]",
    )
    registry.pushed.clear()
    commit(repo, {"3rdparty/python/default.lock": '{"v": 2}\n'})
    report, tags = _release(repo, before, registry)
    assert report.targets == ALL
    # gateway:g1 is already in the registry: skipped, not pushed again.
    assert sorted(registry.pushed) == [
        "127.0.0.1:5000/keep/datastorage:d1",
        "127.0.0.1:5000/keep/ratelimit:r1",
    ]
    assert tags == {"datastorage": "d1", "gateway": "g1", "ratelimit": "r1"}
    assert json.loads((repo / "dist" / "publish.json").read_text())["ok"] is True


def test_release_after_force_push_rebuilds_everything(repo: Path) -> None:
    _overlay(repo)
    commit(repo, {"src/python/keep/gateway/app.py": "x = 10\n"})
    report, tags = _release(repo, "f" * 40, FakeRegistry(set()))
    assert report.targets == ALL
    assert set(tags.values()) == {"d1", "g1", "r1"}
