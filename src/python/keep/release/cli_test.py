from __future__ import annotations

import json
from pathlib import Path

import pytest

from keep.release import cli, kustomize
from keep.release.errors import ExitCode

G9 = "sha256:" + "9a" * 32
R9 = "sha256:" + "9b" * 32

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
    report.write_text(
        json.dumps({"ok": True, "tags": {"gateway": "g9"}, "digests": {"gateway": G9}})
    )
    base = root / "push-base.json"
    base.write_text(
        json.dumps({"ok": True, "tags": {"ratelimit": "r9"}, "digests": {"ratelimit": R9}})
    )
    argv = ["--buildroot", str(root), "bump", "--env", "dev", "--report", str(report)]
    assert cli.main([*argv, "--report", str(base)]) == 0
    pins = kustomize.read_images(kustomize.overlay_path(root / "deploy" / "kustomize", "dev"))
    assert pins["gateway"] == kustomize.Pin("g9", G9) and pins["ratelimit"] == kustomize.Pin(
        "r9", R9
    )


def test_bump_refuses_a_report_without_digests(root: Path) -> None:
    """An image the report names but cannot pin (e.g. an old report) is not written."""
    report = root / "publish.json"
    report.write_text(json.dumps({"ok": True, "tags": {"gateway": "g9"}}))
    path = kustomize.overlay_path(root / "deploy" / "kustomize", "dev")
    assert (
        cli.main(["--buildroot", str(root), "bump", "--env", "dev", "--report", str(report)]) == 1
    )
    assert path.read_text() == OVERLAY


def test_bump_refuses_failed_publish(root: Path) -> None:
    report = root / "publish.json"
    report.write_text(json.dumps({"ok": False, "tags": {"gateway": "g9"}}))
    assert (
        cli.main(["--buildroot", str(root), "bump", "--env", "dev", "--report", str(report)]) == 1
    )


def test_bump_image_args(root: Path) -> None:
    bump = ["--buildroot", str(root), "bump", "--env", "dev", "--image"]
    assert cli.main([*bump, "gateway"]) == 2
    assert cli.main([*bump, "gateway=x"]) == 2  # no digest
    assert cli.main([*bump, f"nope=1@{G9}"]) == 1
    assert cli.main([*bump, "gateway=x@sha256:short"]) == 1
    assert cli.main([*bump, f"gateway=x@{G9}"]) == 0


def test_errors_name_the_tool_and_the_problem(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bump = ["--buildroot", str(root), "bump", "--env", "dev"]
    assert cli.main([*bump, "--image", "gateway"]) == ExitCode.USAGE
    assert (
        capsys.readouterr().err
        == "keep-release: error: --image wants NAME=TAG@DIGEST, got 'gateway'\n"
    )
    assert cli.main([*bump, "--image", f"nope=1@{G9}"]) == ExitCode.FAILED
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
