"""Publish only the images whose content changed.

1. Which docker_image targets could have changed: `pants --changed-since=<ref>
   --changed-dependents=transitive` (or all of them when build configuration changed, see
   `changes.GLOBAL_PATTERNS`).
2. `pants package` them (tags are `{pants.hash}`: the same inputs give the same tag). The base
   image's content digest (keep.release.base_image) is one of those inputs, so a patched base
   gives every image a new tag.
3. For each tag in the chosen registry: already there -> skip, else `docker push`.

Step 3 is what makes repeated runs cheap and safe: an image whose hash did not change (a
dependency changed in a way that does not reach it, or the run is repeated) is never re-pushed.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from keep.release import base_image, changes, docker_info
from keep.release.pants import Pants, PantsError
from keep.release.registry import Docker, RegistryError

Printer = Callable[[str], None]

# Image statuses.
PUSHED = "pushed"
SKIPPED = "skipped"
WOULD_PUSH = "would-push"
FAILED = "failed"


@dataclass
class ImageResult:
    target: str
    repository: str
    ref: str
    tag: str
    status: str
    reason: str
    digest: str | None = None  # in the registry, after the push or the skip


@dataclass
class Report:
    ref: str
    registry: str
    reason: str
    targets: list[str] = field(default_factory=list)
    images: list[ImageResult] = field(default_factory=list)
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and all(i.status != FAILED for i in self.images)

    def pushed(self) -> dict[str, str]:
        """repository -> tag of images pushed by this run (or that would be, in a dry run)."""
        return {i.repository: i.tag for i in self.images if i.status in (PUSHED, WOULD_PUSH)}

    def tags(self) -> dict[str, str]:
        """repository -> tag of every image this run built and found or put in the registry:
        what an overlay should point at (a tag pushed by an earlier run counts too)."""
        return {
            i.repository: i.tag for i in self.images if i.status in (PUSHED, SKIPPED, WOULD_PUSH)
        }

    def digests(self) -> dict[str, str]:
        """repository -> registry digest of the images in tags(): what the overlays pin."""
        return {
            i.repository: i.digest
            for i in self.images
            if i.status in (PUSHED, SKIPPED) and i.digest is not None
        }

    def to_json(self) -> str:
        data = asdict(self)
        data["ok"] = self.ok
        data["pushed"] = self.pushed()
        data["tags"] = self.tags()
        data["digests"] = self.digests()
        return json.dumps(data, indent=2, sort_keys=True)


def publish(
    *,
    buildroot: Path,
    ref: str,
    registry: str,
    dry_run: bool = False,
    pants: Pants | None = None,
    docker: Docker | None = None,
    global_patterns: Sequence[str] = changes.GLOBAL_PATTERNS,
    dist_dir: Path | None = None,
    out: Printer = print,
    base_content: Callable[[Path], str] = base_image.of_buildroot,
) -> Report:
    pants = pants or Pants(buildroot)
    docker = docker or Docker()
    dist = dist_dir or buildroot / "dist"

    try:
        change_set = changes.compute(buildroot, ref, global_patterns)
    except changes.GitError as e:
        return _fail(Report(ref, registry, "git"), str(e), out)
    report = Report(ref=ref, registry=registry, reason=change_set.describe())
    out(f"publish to '{registry}': {report.reason}")

    try:
        if change_set.everything:
            targets = pants.list_images(changed_since=None)
        elif change_set.files:
            targets = pants.list_images(changed_since=ref)
        else:
            targets = []
    except PantsError as e:
        return _fail(report, str(e), out)
    report.targets = targets
    if not targets:
        out("no docker_image target affected: nothing to build or push")
        return report
    out(f"building {len(targets)} image(s): {' '.join(targets)}")

    try:
        content = base_content(buildroot)
    except base_image.BaseImageError as e:
        return _fail(report, str(e), out)
    out(f"base image content {content[:12]} ({base_image.BUILD_ARG})")
    pants.env[base_image.BUILD_ARG] = content

    try:
        pants.package(targets)
    except PantsError as e:
        return _fail(report, str(e), out)

    for target in targets:
        try:
            info = docker_info.load(dist, target)
        except docker_info.DockerInfoError as e:
            report.images.append(ImageResult(target, "", "", "", FAILED, str(e)))
            out(f"  {target}: {FAILED}: {e}")
            continue
        tags = info.for_registry(registry)
        if not tags:
            msg = f"no tag for registry '{registry}' (is it in [docker.registries] / `registries`?)"
            report.images.append(ImageResult(target, info.repository, "", "", FAILED, msg))
            out(f"  {target}: {FAILED}: {msg}")
            continue
        for t in tags:
            result = _publish_tag(docker, target, t, dry_run)
            report.images.append(result)
            out(f"  {t.repository:<14} {t.name}: {result.status} ({result.reason})")

    counts = {
        s: sum(1 for i in report.images if i.status == s)
        for s in (PUSHED, WOULD_PUSH, SKIPPED, FAILED)
    }
    out("summary: " + ", ".join(f"{n} {s}" for s, n in counts.items() if n or s != WOULD_PUSH))
    return report


def _publish_tag(
    docker: Docker, target: str, t: docker_info.ImageTag, dry_run: bool
) -> ImageResult:
    def result(status: str, reason: str, digest: str | None = None) -> ImageResult:
        return ImageResult(target, t.repository, t.name, t.tag, status, reason, digest)

    try:
        digest = docker.remote_digest(t.name)
        if digest is not None:
            return result(SKIPPED, "tag already in the registry: content unchanged", digest)
        if dry_run:
            return result(WOULD_PUSH, "built, tag not in the registry; --dry-run")
        docker.push(t.name)
        # The registry's digest, read back (not docker's local id): what a pull by digest gets.
        digest = docker.remote_digest(t.name)
        if digest is None:
            return result(FAILED, "pushed, but the registry does not list the tag")
        return result(PUSHED, "built, tag was not in the registry", digest)
    except RegistryError as e:
        return result(FAILED, str(e))


def _fail(report: Report, error: str, out: Printer) -> Report:
    report.error = error
    out(f"error: {error}")
    return report
