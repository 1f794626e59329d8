"""Promote released images from one overlay to another (dev -> prod), and mark them in the
registry so that cleanup keeps what the target environment runs.

Artifact Registry's cleanup (infra/terraform/modules/artifact-registry) deletes tagged versions
older than 90 days outside the newest 30 per image; prod may run an image much longer than that.
Before the prod overlay names an image, promotion adds the tag `<env>-<tag>` (e.g.
`prod-<content hash>`) to exactly the digest it pins, and the repository's KEEP policy
`keep-promoted` (tag prefix `prod-`) exempts every version carrying such a tag. The marker is a
new tag on the same digest, so it works with immutable tags; it is never moved, and running the
promotion again finds it in place.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from keep.release import kustomize
from keep.release.kustomize import OverlayError, Pin
from keep.release.registry_api import Registry, split_image

# A Docker tag: [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}.
_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")

# image (registry/repository path), digest, tag -> True if added, False if already there.
Marker = Callable[[str, str, str], bool]


def marker_tag(env: str, tag: str) -> str:
    """The tag that marks `tag` as running in `env`: prod-<tag> (the KEEP policy's prefix)."""
    marker = f"{env}-{tag}"
    if not _TAG.match(marker):
        raise OverlayError(f"{marker!r} is not a valid image tag (at most 128 characters)")
    return marker


def registry_marker() -> Marker:
    """Marks through the registry HTTP API with docker's credentials, one client per host."""
    clients: dict[str, Registry] = {}

    def mark(image: str, digest: str, tag: str) -> bool:
        host, repository = split_image(image)
        client = clients.setdefault(host, Registry(host))
        return client.add_tag(repository, digest, tag)

    return mark


@dataclass
class Promotion:
    changes: list[kustomize.Change] = field(default_factory=list)
    marked: list[str] = field(default_factory=list)  # image:marker added by this run
    already_marked: list[str] = field(default_factory=list)


def promote(
    src: Path,
    dst: Path,
    dst_env: str,
    names: list[str] | None = None,
    *,
    mark: Marker | None,
    dry_run: bool = False,
) -> Promotion:
    """Copy newTag + digest of released images from `src` to `dst`, marking each in the registry
    first (`mark=None` skips marking; the release workflow always marks). Without `names`, every
    image with an entry in both overlays (prod has no redis: it uses Memorystore). Images still
    `unreleased` in the source are left alone."""
    src_pins = kustomize.read_images(src)
    dst_names = kustomize.new_names(dst)
    wanted = names or sorted(set(src_pins) & set(dst_names))
    unknown = sorted(set(wanted) - set(src_pins))
    if unknown:
        raise OverlayError(f"{src}: no newTag for {', '.join(unknown)}")
    pins = kustomize.released({n: src_pins[n] for n in wanted})
    _check(src, dst, pins, kustomize.new_names(src), dst_names)

    promotion = Promotion()
    if mark is not None and not dry_run:
        # Mark before the overlay names the image: a prod overlay never points at an unmarked one.
        for name, pin in sorted(pins.items()):
            assert pin.digest is not None  # _check
            image = dst_names[name]
            marker = marker_tag(dst_env, pin.tag)
            added = mark(image, pin.digest, marker)
            (promotion.marked if added else promotion.already_marked).append(f"{image}:{marker}")
    promotion.changes = kustomize.set_images(dst, pins, dry_run=dry_run)
    return promotion


def _check(
    src: Path,
    dst: Path,
    pins: dict[str, Pin],
    src_names: dict[str, str],
    dst_names: dict[str, str],
) -> None:
    for name, pin in sorted(pins.items()):
        if pin.digest is None:
            raise OverlayError(
                f"{src}: {name} ({pin.tag}) has no digest: only images the release job pinned "
                "can be promoted (release it again)"
            )
        if name not in dst_names:
            raise OverlayError(f"{dst}: no images entry with newName for {name}")
        if src_names.get(name) != dst_names[name]:
            raise OverlayError(
                f"{name}: {src} pulls {src_names.get(name)}, {dst} pulls {dst_names[name]}: "
                "a digest only means the same image in the same repository"
            )
