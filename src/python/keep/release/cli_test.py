from __future__ import annotations

import json
from pathlib import Path

import pytest

from keep.release import cli, kustomize
from keep.release.errors import ExitCode

OVERLAY = """\
images:
  - name: gateway  # comment
    newName: europe-west1-docker.pkg.dev/keep-artifacts/keep/gateway
    newTag: unreleased
  - name: ratelimit
    newName: europe-west1-docker.pkg.dev/keep-artifacts/keep/ratelimit
    newTag: unreleased
"""


@pytest.fixture
def root(tmp_path: Path) -> Path:
    path = kustomize.overlay_path(tmp_path / "deploy" / "kustomize", "dev")
    path.parent.mkdir(parents=True)
    path.write_text(OVERLAY)
    return tmp_path


def test_bump_from_report(root: Path) -> None:
    report = root / "publish.json"
    report.write_text(json.dumps({"ok": True, "tags": {"gateway": "g9", "ratelimit": "r9"}}))
    assert (
        cli.main(["--buildroot", str(root), "bump", "--env", "dev", "--report", str(report)]) == 0
    )
    tags = kustomize.read_tags(kustomize.overlay_path(root / "deploy" / "kustomize", "dev"))
    assert tags["gateway"] == "g9" and tags["ratelimit"] == "r9"


def test_bump_refuses_failed_publish(root: Path) -> None:
    report = root / "publish.json"
    report.write_text(json.dumps({"ok": False, "tags": {"gateway": "g9"}}))
    assert (
        cli.main(["--buildroot", str(root), "bump", "--env", "dev", "--report", str(report)]) == 1
    )


def test_bump_image_args(root: Path) -> None:
    assert cli.main(["--buildroot", str(root), "bump", "--env", "dev", "--image", "gateway"]) == 2
    assert cli.main(["--buildroot", str(root), "bump", "--env", "dev", "--image", "nope=1"]) == 1
    assert cli.main(["--buildroot", str(root), "bump", "--env", "dev", "--image", "gateway=x"]) == 0


def test_errors_name_the_tool_and_the_problem(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bump = ["--buildroot", str(root), "bump", "--env", "dev"]
    assert cli.main([*bump, "--image", "gateway"]) == ExitCode.USAGE
    assert capsys.readouterr().err == "keep-release: error: --image wants NAME=TAG, got 'gateway'\n"
    assert cli.main([*bump, "--image", "nope=1"]) == ExitCode.FAILED
    assert capsys.readouterr().err.startswith("keep-release: error: ")


def test_a_report_that_is_not_json_is_an_error_not_a_traceback(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = root / "publish.json"
    report.write_text("<html>502 Bad Gateway</html>")
    argv = ["--buildroot", str(root), "bump", "--env", "dev", "--report", str(report)]
    assert cli.main(argv) == ExitCode.FAILED
    assert capsys.readouterr().err.startswith(
        f"keep-release: error: {report} is not a publish --report (not JSON: "
    )
    overlay = kustomize.overlay_path(root / "deploy" / "kustomize", "dev")
    assert overlay.read_text() == OVERLAY
