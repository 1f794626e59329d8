"""Against the real local registry (build-support/registry/ensure-registry.sh) and dockerd.

Needs keep/python-base (build-support/images/build-base-images.sh). Fails (never skips) when Docker,
the base image or the registry is absent; the test is tagged `docker`, so machines without Docker
deselect it with `./pants --tag=-docker test ::`.
"""

from __future__ import annotations

import os
import subprocess
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from keep.release import publish
from keep.release.registry import REGISTRIES, Docker, RegistryError

BASE = os.environ.get("KEEP_PYTHON_BASE", "keep/python-base:3.11-bookworm-r1")
LOCAL = REGISTRIES["local"]


def _unavailable() -> str | None:
    if subprocess.run(["docker", "info"], capture_output=True, check=False).returncode != 0:
        return "dockerd not answering (build-support/docker/ensure-docker.sh)"
    if (
        subprocess.run(
            ["docker", "image", "inspect", BASE], capture_output=True, check=False
        ).returncode
        != 0
    ):
        return f"{BASE} not built (build-support/images/build-base-images.sh)"
    try:
        urllib.request.urlopen(f"http://{LOCAL.split('/')[0]}/v2/", timeout=2).close()
    except OSError:
        return "no registry on 127.0.0.1:5000 (build-support/registry/ensure-registry.sh)"
    return None


@pytest.fixture(scope="module")
def test_image(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    reason = _unavailable()
    if reason:
        pytest.fail(f"{reason}; without Docker, deselect with --tag=-docker", pytrace=False)
    ctx: Path = tmp_path_factory.mktemp("ctx")
    token = uuid.uuid4().hex[:12]
    (ctx / "hello.py").write_text(f"print('hello {token}')\n")
    (ctx / "Dockerfile").write_text(
        "ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\nCOPY hello.py /app/hello.py\n"
        'USER 10001\nENTRYPOINT ["python3.11", "/app/hello.py"]\n'
    )
    ref = f"{LOCAL}/release-test:{token}"
    subprocess.run(
        ["docker", "build", "-q", "--build-arg", f"BASE_IMAGE={BASE}", "-t", ref, str(ctx)],
        check=True,
        capture_output=True,
    )
    yield ref
    subprocess.run(["docker", "image", "rm", ref], capture_output=True, check=False)


def test_missing_tag_then_push_then_present(test_image: str) -> None:
    docker = Docker()
    assert docker.tag_exists(test_image) is False
    docker.push(test_image)
    assert docker.tag_exists(test_image) is True
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
    name = f"base-test-{uuid.uuid4().hex[:8]}"
    lines: list[str] = []
    first = publish.push_base_images(
        images={name: test_image}, registry_address=LOCAL, out=lines.append
    )
    second = publish.push_base_images(
        images={name: test_image}, registry_address=LOCAL, out=lines.append
    )
    assert [r.status for r in first + second] == [publish.PUSHED, publish.SKIPPED]
    subprocess.run(["docker", "image", "rm", first[0].ref], capture_output=True, check=False)
