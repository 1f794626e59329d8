"""Against the real local registry (build-support/registry/ensure-registry.sh) and dockerd.

Needs keep/python-base (build-support/images/build-base-images.sh). Fails (never skips) when Docker,
the base image or the registry is absent; the test is tagged `docker`, so machines without Docker
deselect it with `./pants --tag=-docker test ::`.
"""

from __future__ import annotations

import subprocess
import urllib.request
import uuid
from pathlib import Path

import pytest

from keep.release import push_base
from keep.release.publish import PUSHED, SKIPPED
from keep.release.registry import REGISTRIES, Docker, RegistryError
from keep.release.testing import patched_base_dockerfile

LOCAL = REGISTRIES["local"]


def registry_digest(ref: str) -> str:
    """The digest the registry itself reports for `ref` (distribution's HTTP API, no docker)."""
    host, _, rest = ref.partition("/")
    repository, _, tag = rest.rpartition(":")
    req = urllib.request.Request(
        f"http://{host}/v2/{repository}/manifests/{tag}",
        method="HEAD",
        headers={"Accept": "application/vnd.docker.distribution.manifest.v2+json"},
    )
    with urllib.request.urlopen(req, timeout=10) as resp:
        return str(resp.headers["Docker-Content-Digest"])


def test_missing_tag_then_push_then_present(test_image: str) -> None:
    docker = Docker()
    assert docker.tag_exists(test_image) is False
    assert docker.remote_digest(test_image) is None
    docker.push(test_image)
    assert docker.tag_exists(test_image) is True
    assert docker.remote_digest(test_image) == registry_digest(test_image)
    out = subprocess.run(
        ["docker", "run", "--rm", test_image], capture_output=True, text=True, check=True
    ).stdout
    assert out.startswith("hello ")


def test_unknown_repository_is_missing(test_image: str) -> None:
    assert Docker().tag_exists(f"{LOCAL}/no-such-repo-{uuid.uuid4().hex[:8]}:x") is False


def test_unreachable_registry_is_an_error_not_missing(test_image: str) -> None:
    with pytest.raises(RegistryError):
        Docker().tag_exists("127.0.0.1:1/keep/x:y")


def test_push_base_images_against_real_registry(test_image: str) -> None:
    """Tagged by package content: pushed once, then skipped with the same registry digest."""
    name = f"base-test-{uuid.uuid4().hex[:8]}"
    lines: list[str] = []
    first = push_base.push_base_images(
        images={name: test_image}, registry_address=LOCAL, out=lines.append
    )
    second = push_base.push_base_images(
        images={name: test_image}, registry_address=LOCAL, out=lines.append
    )
    assert [r.status for r in first + second] == [PUSHED, SKIPPED]
    recipe_tag = test_image.rsplit(":", 1)[1]
    assert first[0].tag.startswith(f"{recipe_tag}-") and len(first[0].tag) == len(recipe_tag) + 17
    assert first[0].digest == second[0].digest == registry_digest(first[0].ref)
    subprocess.run(["docker", "image", "rm", first[0].ref], capture_output=True, check=False)


def test_a_patched_base_under_the_same_recipe_tag_is_pushed_again(
    test_image: str, tmp_path: Path
) -> None:
    """What the weekly rebuild produces: the same local name (recipe tag unchanged), one Debian
    package at a newer version. Keyed by the recipe tag alone, the second push was "already in the
    registry" and redis never got OS patches; keyed by package content it is a new tag."""
    local = f"keep-test/base-{uuid.uuid4().hex[:8]}:7.0-bookworm-r1"
    name = local.split("/")[1].split(":")[0]
    subprocess.run(["docker", "tag", test_image, local], check=True, capture_output=True)
    refs: list[str] = [local]
    try:
        first = push_base.push_base_images(
            images={name: local}, registry_address=LOCAL, out=lambda _: None
        )
        # A security update of one package: a newer version in the dpkg database.
        (tmp_path / "Dockerfile").write_text(patched_base_dockerfile(local, "+deb12u99"))
        subprocess.run(["docker", "build", "-q", "-t", local, str(tmp_path)], check=True)
        patched = push_base.push_base_images(
            images={name: local}, registry_address=LOCAL, out=lambda _: None
        )
        refs += [first[0].ref, patched[0].ref]
        assert [first[0].status, patched[0].status] == [PUSHED, PUSHED]
        assert first[0].tag.startswith("7.0-bookworm-r1-") and patched[0].tag != first[0].tag
        assert patched[0].digest != first[0].digest
        assert patched[0].digest == registry_digest(patched[0].ref)
    finally:
        for ref in refs:
            subprocess.run(["docker", "image", "rm", ref], capture_output=True, check=False)
