"""The base image's content digest: the real pants.toml, and the real base image's packages."""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from pathlib import Path

import pytest

from keep.release import base_image

PACKAGES = "libc6=2.36-9+deb12u13\npython3.11=3.11.2-6+deb12u6\nzlib1g=1:1.2.13.dfsg-1\n"


def answering(stdout: str, code: int = 0, stderr: str = "") -> base_image.Runner:
    def runner(argv: Sequence[str]) -> subprocess.CompletedProcess[str]:
        assert argv[:2] == ["docker", "run"] and "dpkg-query" in argv
        return subprocess.CompletedProcess(argv, code, stdout, stderr)

    return runner


def test_same_packages_in_any_order_give_the_same_digest() -> None:
    shuffled = "\n".join(reversed(PACKAGES.splitlines())) + "\n"
    assert base_image.content_digest("b", answering(PACKAGES)) == base_image.content_digest(
        "b", answering(shuffled)
    )


def test_a_patched_package_gives_a_new_digest() -> None:
    patched = PACKAGES.replace("deb12u13", "deb12u14")
    assert base_image.content_digest("b", answering(PACKAGES)) != base_image.content_digest(
        "b", answering(patched)
    )


def test_an_image_that_cannot_be_read_is_an_error() -> None:
    with pytest.raises(base_image.BaseImageError, match="No such image"):
        base_image.content_digest("b", answering("", 125, "Unable to find image: No such image"))


def test_the_repository_builds_on_the_configured_base() -> None:
    pants_toml = next(
        p / "pants.toml" for p in (Path.cwd(), *Path(__file__).resolve().parents)
        if (p / "pants.toml").is_file()
    )  # fmt: skip
    assert base_image.configured_base(pants_toml).startswith("keep/python-base:")
    # BASE_IMAGE_CONTENT without a value: Pants reads it from the environment publish sets.
    assert base_image.BUILD_ARG in pants_toml.read_text()
