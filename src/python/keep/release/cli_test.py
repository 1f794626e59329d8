from __future__ import annotations

import json
from pathlib import Path

import pytest

from keep.release import cli, kustomize

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
