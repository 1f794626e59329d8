"""Promotion: dev's pins (tag + digest) go to prod, each image marked `prod-<tag>` first."""

from __future__ import annotations

from pathlib import Path

import pytest

from keep.release import kustomize, promotion
from keep.release.kustomize import OverlayError, Pin

REPO = "europe-west1-docker.pkg.dev/keep-artifacts/keep"
G1 = "sha256:" + "a1" * 32
D1 = "sha256:" + "d1" * 32


def overlay(images: dict[str, str]) -> str:
    lines = ["images:\n"]
    for name, repo in images.items():
        lines += [
            f"  - name: {name}\n",
            f"    newName: {repo}/{name}\n",
            "    newTag: unreleased\n",
        ]
    return "".join(lines)


@pytest.fixture
def overlays(tmp_path: Path) -> tuple[Path, Path]:
    dev = kustomize.overlay_path(tmp_path, "dev")
    prod = kustomize.overlay_path(tmp_path, "prod")
    for path in (dev, prod):
        path.parent.mkdir(parents=True)
    dev.write_text(overlay({n: REPO for n in ("datastorage", "gateway", "ratelimit", "redis")}))
    prod.write_text(overlay({n: REPO for n in ("datastorage", "gateway", "ratelimit")}))
    return dev, prod


class Marks:
    """Records the marker calls and what the prod overlay looked like at each."""

    def __init__(self, prod: Path) -> None:
        self.prod = prod
        self.calls: list[tuple[str, str, str, str]] = []

    def __call__(self, image: str, digest: str, tag: str) -> bool:
        self.calls.append((image, digest, tag, self.prod.read_text()))
        return True


def test_promote_copies_released_pins_and_marks_them_first(overlays: tuple[Path, Path]) -> None:
    dev, prod = overlays
    kustomize.set_images(dev, {"gateway": Pin("g1", G1), "redis": Pin("r1", D1)})
    before = prod.read_text()
    marks = Marks(prod)
    done = promotion.promote(dev, prod, "prod", mark=marks)
    # Only gateway: datastorage/ratelimit are unreleased, prod has no redis.
    assert [(c.name, c.new) for c in done.changes] == [("gateway", f"g1@{G1}")]
    assert kustomize.read_images(prod)["gateway"] == Pin("g1", G1)
    assert kustomize.read_images(prod)["datastorage"] == Pin("unreleased", None)
    # Marked in the registry before the overlay named the image.
    assert [c[:3] for c in marks.calls] == [(f"{REPO}/gateway", G1, "prod-g1")]
    assert marks.calls[0][3] == before
    assert done.marked == [f"{REPO}/gateway:prod-g1"]


def test_marker_tag_matches_the_cleanup_keep_policy() -> None:
    assert promotion.marker_tag("prod", "f" * 64) == "prod-" + "f" * 64
    with pytest.raises(OverlayError, match="not a valid image tag"):
        promotion.marker_tag("prod", "x" * 124)


def test_a_failed_mark_leaves_prod_untouched(overlays: tuple[Path, Path]) -> None:
    dev, prod = overlays
    kustomize.set_images(dev, {"gateway": Pin("g1", G1)})
    before = prod.read_text()

    def refuse(image: str, digest: str, tag: str) -> bool:
        raise OverlayError("registry says no")

    with pytest.raises(OverlayError, match="registry says no"):
        promotion.promote(dev, prod, "prod", mark=refuse)
    assert prod.read_text() == before


def test_an_image_without_a_digest_is_not_promoted(overlays: tuple[Path, Path]) -> None:
    """A hand-edited tag in dev (no digest) cannot reach prod unpinned and unmarked."""
    dev, prod = overlays
    dev.write_text(dev.read_text().replace("newTag: unreleased", "newTag: handmade", 1))
    with pytest.raises(OverlayError, match="datastorage .handmade. has no digest"):
        promotion.promote(dev, prod, "prod", mark=Marks(prod))


def test_a_different_repository_is_refused(overlays: tuple[Path, Path]) -> None:
    dev, prod = overlays
    kustomize.set_images(dev, {"gateway": Pin("g1", G1)})
    prod.write_text(prod.read_text().replace(f"{REPO}/gateway", "elsewhere.example/keep/gateway"))
    with pytest.raises(OverlayError, match="a digest only means the same image"):
        promotion.promote(dev, prod, "prod", mark=Marks(prod))


def test_selected_images_dry_run_and_unknown(overlays: tuple[Path, Path]) -> None:
    dev, prod = overlays
    kustomize.set_images(dev, {"gateway": Pin("g1", G1), "datastorage": Pin("d1", D1)})
    marks = Marks(prod)
    before = prod.read_text()
    dry = promotion.promote(dev, prod, "prod", ["gateway"], mark=marks, dry_run=True)
    assert [c.name for c in dry.changes] == ["gateway"] and marks.calls == []
    assert prod.read_text() == before
    done = promotion.promote(dev, prod, "prod", ["gateway"], mark=marks)
    assert [c.name for c in done.changes] == ["gateway"]
    assert kustomize.read_images(prod)["datastorage"] == Pin("unreleased", None)
    with pytest.raises(OverlayError, match="no newTag for nope"):
        promotion.promote(dev, prod, "prod", ["nope"], mark=marks)
    with pytest.raises(OverlayError, match="no images entry with newName for redis"):
        kustomize.set_images(dev, {"redis": Pin("r1", D1)})
        promotion.promote(dev, prod, "prod", ["redis"], mark=marks)
