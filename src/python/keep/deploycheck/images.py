"""Images: every image of an overlay is in Keep's registry, tagged, pinned by digest once released,
and built by the repository (a service's docker_image target or a build-support script).

Pinning: the release job writes each images entry's newTag *and* digest (kustomize renders
`name:tag@sha256:...`; the runtime pulls the digest). The only image allowed without a digest is
the committed placeholder `unreleased`, a tag that never exists in the registry, so nothing can run
it by accident; any other tag without a digest could be re-pointed under a running environment."""

from __future__ import annotations

import ast
from collections.abc import Sequence
from pathlib import Path

from keep.deploycheck import contract
from keep.deploycheck.objects import Obj, all_containers, workloads
from keep.release.kustomize import DIGEST, UNRELEASED


def images(objs: Sequence[Obj]) -> list[str]:
    return sorted({c["image"] for w in workloads(objs) for c in all_containers(w)})


def _declares_docker_image(build_file: Path, repository: str) -> str | None:
    """None if BUILD declares docker_image(name="image") for `repository`, else the problem."""
    tree = ast.parse(build_file.read_text(), filename=str(build_file))
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "python_service"
        ):
            return None  # the macro (build-support/macros) declares :image, default repository
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "docker_image"
        ):
            kw = {k.arg: k.value for k in node.keywords}
            name = kw.get("name")
            if not (isinstance(name, ast.Constant) and name.value == "image"):
                continue
            repo = kw.get("repository")
            if repo is not None and not (
                isinstance(repo, ast.Constant) and str(repo.value).endswith(repository)
            ):
                return f"{build_file}: docker_image(name='image') has repository {ast.unparse(repo)}, expected {repository}"
            return None
    return f'{build_file} declares no docker_image(name="image", ...)'


def split_pin(image: str) -> tuple[str, str, str | None]:
    """registry/name:tag[@digest] -> (registry/name, tag or "", digest or None)."""
    named, at, digest = image.partition("@")
    ref, colon, tag = named.rpartition(":")
    if not colon or "/" in tag:
        ref, tag = named, ""
    return ref, tag, digest if at else None


def check_images(objs: Sequence[Obj], root: Path) -> list[str]:
    problems = []
    for image in images(objs):
        ref, tag, digest = split_pin(image)
        if not tag:
            problems.append(f"{image}: no tag (is the overlay's images: entry missing?)")
            continue
        if tag == "latest":
            problems.append(f"{image}: uses the latest tag")
        if digest is None and tag != UNRELEASED:
            problems.append(
                f"{image}: released tag without a digest (the release job writes newTag and "
                "digest; `keep-release bump --image NAME=TAG@sha256:...` by hand)"
            )
        if digest is not None and not DIGEST.match(digest):
            problems.append(f"{image}: {digest} is not a sha256 digest")
        if not ref.startswith(contract.REGISTRY + "/"):
            problems.append(f"{image}: not in {contract.REGISTRY}")
            continue
        name = ref[len(contract.REGISTRY) + 1 :]
        if name in contract.BUILD_SUPPORT_IMAGES:
            needle = contract.BUILD_SUPPORT_IMAGES[name]
            bs = root / "build-support"
            hits = (
                [p for p in bs.rglob("*") if p.is_file() and needle in p.read_text(errors="ignore")]
                if bs.is_dir()
                else []
            )
            if not hits:
                problems.append(f"{image}: no script under build-support/ builds {needle}")
            continue
        build = root / "src/python/keep" / name / "BUILD"
        if not build.is_file():
            problems.append(
                f"{image}: {build.relative_to(root)} is missing (expected docker_image target src/python/keep/{name}:image)"
            )
            continue
        problem = _declares_docker_image(build, name)
        if problem:
            problems.append(f"{image}: {problem}")
    return problems
