from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from keep.deploycheck import render
from keep.release import kustomize
from keep.release.kustomize import Pin

OVERLAY = """\
# Keep, dev environment. CI bumps the image tags below.
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - app
images:
  - name: datastorage  # the storage service
    newName: europe-west1-docker.pkg.dev/keep-artifacts/keep/datastorage
    newTag: unreleased
  - name: gateway
    newName: europe-west1-docker.pkg.dev/keep-artifacts/keep/gateway
    newTag: "0123abc"   # quoted on purpose
  - name: ratelimit
    newName: europe-west1-docker.pkg.dev/keep-artifacts/keep/ratelimit
    newTag: unreleased
  - name: redis
    newName: europe-west1-docker.pkg.dev/keep-artifacts/keep/redis
    newTag: 7.0-bookworm-r1
"""

D1 = "sha256:" + "d1" * 32
D2 = "sha256:" + "d2" * 32
G1 = "sha256:" + "a1" * 32

NO_INDENT_NO_TAG = """\
images:
- name: gateway
  newName: europe-west1-docker.pkg.dev/keep-artifacts/keep/gateway
- name: redis
  newTag: old
"""


@pytest.fixture
def overlays(tmp_path: Path) -> Path:
    root = tmp_path / "deploy" / "kustomize"
    for env in ("dev", "prod"):
        path = kustomize.overlay_path(root, env)
        path.parent.mkdir(parents=True)
        path.write_text(OVERLAY.replace("dev environment", f"{env} environment"))
    return root


def test_bump_changes_only_the_tag_lines_and_adds_the_digest(overlays: Path) -> None:
    path = kustomize.overlay_path(overlays, "dev")
    done = kustomize.set_images(
        path, {"datastorage": Pin("f00d" * 16, D1), "gateway": Pin("beef1", G1)}
    )
    assert [str(c) for c in done] == [
        f"datastorage: unreleased -> {'f00d' * 16}@{D1}",
        f"gateway: 0123abc -> beef1@{G1}",
    ]
    expected = OVERLAY.replace(
        "    newTag: unreleased\n  - name: gateway",
        f"    newTag: {'f00d' * 16}\n    digest: {D1}\n  - name: gateway",
    ).replace(
        'newTag: "0123abc"   # quoted on purpose\n',
        f'newTag: "beef1"   # quoted on purpose\n    digest: {G1}\n',
    )
    assert path.read_text() == expected
    assert kustomize.read_images(path)["ratelimit"] == Pin("unreleased", None)
    assert kustomize.read_images(path)["gateway"] == Pin("beef1", G1)

    # A second bump replaces the digest in place.
    kustomize.set_images(path, {"datastorage": Pin("f00e" * 16, D2)})
    assert path.read_text() == expected.replace(
        f"{'f00d' * 16}\n    digest: {D1}", f"{'f00e' * 16}\n    digest: {D2}"
    )


def test_a_pin_without_a_digest_is_refused(overlays: Path) -> None:
    """A tag alone would leave the entry's older digest pinning the old image (or no pin)."""
    path = kustomize.overlay_path(overlays, "dev")
    for bad in (None, "sha256:short", "md5:" + "0" * 32):
        with pytest.raises(kustomize.OverlayError, match="no sha256 digest"):
            kustomize.set_images(path, {"gateway": Pin("g2", bad)})
    assert path.read_text() == OVERLAY


def test_bump_is_idempotent(overlays: Path) -> None:
    path = kustomize.overlay_path(overlays, "dev")
    kustomize.set_images(path, {"gateway": Pin("abc", G1)})
    before = path.read_text()
    assert kustomize.set_images(path, {"gateway": Pin("abc", G1)}) == []
    assert path.read_text() == before


def test_values_that_would_not_read_back_as_strings_are_quoted(overlays: Path) -> None:
    path = kustomize.overlay_path(overlays, "dev")
    kustomize.set_images(path, {"ratelimit": Pin("1234", D1), "datastorage": Pin("1e10", D2)})
    text = path.read_text()
    assert '    newTag: "1234"\n' in text and '    newTag: "1e10"\n' in text
    assert kustomize.read_tags(path)["ratelimit"] == "1234"


def test_dry_run_writes_nothing(overlays: Path) -> None:
    path = kustomize.overlay_path(overlays, "dev")
    assert kustomize.set_images(path, {"gateway": Pin("new", G1)}, dry_run=True)
    assert path.read_text() == OVERLAY


def test_unknown_image_is_an_error(overlays: Path) -> None:
    with pytest.raises(kustomize.OverlayError, match="no images entry for nope"):
        kustomize.set_images(kustomize.overlay_path(overlays, "dev"), {"nope": Pin("x", G1)})


def test_missing_keys_are_added_with_the_entry_indentation(tmp_path: Path) -> None:
    path = tmp_path / "kustomization.yaml"
    path.write_text(NO_INDENT_NO_TAG)
    kustomize.set_images(path, {"gateway": Pin("abc", G1), "redis": Pin("new", D1)})
    assert path.read_text() == (
        "images:\n- name: gateway\n"
        "  newName: europe-west1-docker.pkg.dev/keep-artifacts/keep/gateway\n"
        f"  newTag: abc\n  digest: {G1}\n- name: redis\n  newTag: new\n  digest: {D1}\n"
    )


def test_no_images_list(tmp_path: Path) -> None:
    path = tmp_path / "kustomization.yaml"
    path.write_text("resources: [a]\n")
    with pytest.raises(kustomize.OverlayError, match="no `images:` list"):
        kustomize.set_images(path, {"a": Pin("b", G1)})


def test_report_pins_need_a_digest_for_every_tag() -> None:
    data = {"tags": {"gateway": "g1", "redis": "r1"}, "digests": {"gateway": G1, "redis": D1}}
    assert kustomize.pins_from_report(data) == {"gateway": Pin("g1", G1), "redis": Pin("r1", D1)}
    with pytest.raises(kustomize.OverlayError, match="no registry digest for redis"):
        kustomize.pins_from_report({"tags": {"redis": "r1"}, "digests": {}})


def test_kustomize_pulls_by_digest_and_keeps_the_tag_readable(overlays: Path) -> None:
    """The real kustomize (kubectl 1.32, kustomize 5.5): newTag + digest render as
    name:tag@digest, which the runtime pulls by digest."""
    kubectl = render.kubectl()
    path = kustomize.overlay_path(overlays, "dev")
    path.write_text(path.read_text().replace("  - app\n", "  - pod.yaml\n"))
    (path.parent / "pod.yaml").write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n"
        "spec: {containers: [{name: g, image: gateway}, {name: r, image: ratelimit}]}\n"
    )
    kustomize.set_images(path, {"gateway": Pin("g1", G1)})
    rendered = subprocess.run(
        [kubectl, "kustomize", str(path.parent)], capture_output=True, text=True, check=True
    ).stdout
    assert f"image: europe-west1-docker.pkg.dev/keep-artifacts/keep/gateway:g1@{G1}" in rendered
    assert "image: europe-west1-docker.pkg.dev/keep-artifacts/keep/ratelimit:unreleased" in rendered
