"""Copy the locally built base images that run as-is in the cluster (redis, redis-exporter) into
the registry, under a tag that changes when their content does.

The recipe's tag (`keep/redis:7.0-bookworm-r1`) names the recipe, not the Debian packages the
runner installed into it: with that tag alone, the first push wins forever and a patched rebuild
is "already in the registry", so OS patches never reach Redis. The registry tag is the recipe tag
plus the image's package digest (keep.release.base_image, the same digest the service images carry
in their hash): `7.0-bookworm-r1-<16 hex>`. Same packages, same tag (skipped); a patched package,
a new tag, pushed, and the release job pins it (tag and registry digest) in the dev overlay.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass

from keep.release import base_image
from keep.release.publish import FAILED, PUSHED, SKIPPED, WOULD_PUSH, Printer
from keep.release.registry import Docker, RegistryError

CONTENT_CHARS = 16  # of the sha256: 64 bits tell package sets apart; the tag stays readable


@dataclass
class BaseImageResult:
    name: str
    source: str
    ref: str
    tag: str
    status: str
    reason: str
    digest: str | None = None


def registry_tag(source: str, content: str) -> str:
    """keep/redis:7.0-bookworm-r1 + content digest -> 7.0-bookworm-r1-<16 hex>."""
    last = source.rsplit("/", 1)[-1]
    recipe_tag = last.rsplit(":", 1)[1] if ":" in last else "latest"
    return f"{recipe_tag}-{content[:CONTENT_CHARS]}"


def push_base_images(
    *,
    images: dict[str, str],
    registry_address: str,
    dry_run: bool = False,
    docker: Docker | None = None,
    content: Callable[[str], str] = base_image.content_digest,
    out: Printer = print,
) -> list[BaseImageResult]:
    """Push each local image (`images`: name -> local ref) as <registry>/<name>:<registry_tag>
    unless that tag is there already; every result that is in the registry carries its digest."""
    docker = docker or Docker()
    results: list[BaseImageResult] = []
    for name, source in sorted(images.items()):
        r = _push_one(docker, name, source, registry_address, dry_run, content)
        results.append(r)
        out(f"  {name:<14} {r.ref or source}: {r.status} ({r.reason})")
    return results


def _push_one(
    docker: Docker,
    name: str,
    source: str,
    registry_address: str,
    dry_run: bool,
    content: Callable[[str], str],
) -> BaseImageResult:
    if not docker.image_exists(source):
        return BaseImageResult(
            name,
            source,
            "",
            "",
            FAILED,
            "not built here: run build-support/images/build-base-images.sh",
        )
    try:
        tag = registry_tag(source, content(source))
    except base_image.BaseImageError as e:
        return BaseImageResult(name, source, "", "", FAILED, str(e))
    ref = f"{registry_address}/{name}:{tag}"

    def result(status: str, reason: str, digest: str | None = None) -> BaseImageResult:
        return BaseImageResult(name, source, ref, tag, status, reason, digest)

    try:
        digest = docker.remote_digest(ref)
        if digest is not None:
            return result(SKIPPED, "tag already in the registry: same packages", digest)
        if dry_run:
            return result(WOULD_PUSH, "tag not in the registry; --dry-run")
        docker.tag(source, ref)
        docker.push(ref)
        digest = docker.remote_digest(ref)
        if digest is None:
            return result(FAILED, "pushed, but the registry does not list the tag")
        return result(PUSHED, "new package set: tag was not in the registry", digest)
    except RegistryError as e:
        return result(FAILED, str(e))


def report_json(results: list[BaseImageResult]) -> str:
    """The shape `keep-release bump --report` reads (like publish's report): ok, tags, digests."""
    in_registry = [r for r in results if r.status in (PUSHED, SKIPPED) and r.digest]
    data = {
        "ok": all(r.status != FAILED for r in results),
        "tags": {r.name: r.tag for r in in_registry},
        "digests": {r.name: r.digest for r in in_registry},
        "images": [asdict(r) for r in results],
    }
    return json.dumps(data, indent=2, sort_keys=True)
