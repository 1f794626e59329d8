from __future__ import annotations

from pathlib import Path

import pytest

from keep.release import kustomize

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


def test_bump_changes_only_the_tag_lines(overlays: Path) -> None:
    path = kustomize.overlay_path(overlays, "dev")
    done = kustomize.set_tags(path, {"datastorage": "f00d" * 16, "gateway": "beef1"})
    assert [str(c) for c in done] == [
        f"datastorage: unreleased -> {'f00d' * 16}",
        "gateway: 0123abc -> beef1",
    ]
    expected = OVERLAY.replace(
        "    newTag: unreleased\n  - name: gateway", f"    newTag: {'f00d' * 16}\n  - name: gateway"
    ).replace('newTag: "0123abc"   # quoted', 'newTag: "beef1"   # quoted')
    assert path.read_text() == expected
    assert kustomize.read_tags(path)["ratelimit"] == "unreleased"


def test_bump_is_idempotent(overlays: Path) -> None:
    path = kustomize.overlay_path(overlays, "dev")
    kustomize.set_tags(path, {"gateway": "abc"})
    before = path.read_text()
    assert kustomize.set_tags(path, {"gateway": "abc"}) == []
    assert path.read_text() == before


def test_values_that_would_not_read_back_as_strings_are_quoted(overlays: Path) -> None:
    path = kustomize.overlay_path(overlays, "dev")
    kustomize.set_tags(path, {"ratelimit": "1234", "datastorage": "1e10"})
    text = path.read_text()
    assert '    newTag: "1234"\n' in text and '    newTag: "1e10"\n' in text
    assert kustomize.read_tags(path)["ratelimit"] == "1234"


def test_dry_run_writes_nothing(overlays: Path) -> None:
    path = kustomize.overlay_path(overlays, "dev")
    assert kustomize.set_tags(path, {"gateway": "new"}, dry_run=True)
    assert path.read_text() == OVERLAY


def test_unknown_image_is_an_error(overlays: Path) -> None:
    with pytest.raises(kustomize.OverlayError, match="no images entry for nope"):
        kustomize.set_tags(kustomize.overlay_path(overlays, "dev"), {"nope": "x"})


def test_missing_newtag_is_added_with_the_entry_indentation(tmp_path: Path) -> None:
    path = tmp_path / "kustomization.yaml"
    path.write_text(NO_INDENT_NO_TAG)
    kustomize.set_tags(path, {"gateway": "abc", "redis": "new"})
    assert path.read_text() == (
        "images:\n- name: gateway\n"
        "  newName: europe-west1-docker.pkg.dev/keep-artifacts/keep/gateway\n"
        "  newTag: abc\n- name: redis\n  newTag: new\n"
    )


def test_promote_copies_released_tags_only(overlays: Path) -> None:
    dev = kustomize.overlay_path(overlays, "dev")
    prod = kustomize.overlay_path(overlays, "prod")
    kustomize.set_tags(dev, {"gateway": "g1", "datastorage": "d1"})
    done = kustomize.promote(dev, prod)
    assert {c.name: c.new for c in done} == {"gateway": "g1", "datastorage": "d1"}
    tags = kustomize.read_tags(prod)
    assert tags == {
        "datastorage": "d1",
        "gateway": "g1",
        "ratelimit": "unreleased",
        "redis": "7.0-bookworm-r1",
    }
    assert prod.read_text().startswith("# Keep, prod environment.")
    assert kustomize.promote(dev, prod) == []


def test_promote_selected_images(overlays: Path) -> None:
    dev = kustomize.overlay_path(overlays, "dev")
    prod = kustomize.overlay_path(overlays, "prod")
    kustomize.set_tags(dev, {"gateway": "g1", "datastorage": "d1"})
    done = kustomize.promote(dev, prod, ["gateway"])
    assert [c.name for c in done] == ["gateway"]
    assert kustomize.read_tags(prod)["datastorage"] == "unreleased"
    with pytest.raises(kustomize.OverlayError):
        kustomize.promote(dev, prod, ["nope"])


def test_no_images_list(tmp_path: Path) -> None:
    path = tmp_path / "kustomization.yaml"
    path.write_text("resources: [a]\n")
    with pytest.raises(kustomize.OverlayError, match="no `images:` list"):
        kustomize.set_tags(path, {"a": "b"})


def test_promote_skips_images_the_target_does_not_have(overlays: Path) -> None:
    dev = kustomize.overlay_path(overlays, "dev")
    prod = kustomize.overlay_path(overlays, "prod")
    prod.write_text(prod.read_text().split("  - name: redis")[0])  # prod: Memorystore, no redis
    kustomize.set_tags(dev, {"gateway": "g2", "redis": "7.0-bookworm-r2"})
    assert [c.name for c in kustomize.promote(dev, prod)] == ["gateway"]
    with pytest.raises(kustomize.OverlayError, match="no images entry for redis"):
        kustomize.promote(dev, prod, ["redis"])
