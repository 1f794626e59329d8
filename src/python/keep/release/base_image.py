"""What the services' base image holds, as a digest that goes into every service image's tag.

Pants' `{pants.hash}` covers the Dockerfile, the build context and the build args, i.e. the base
image's *name* (`keep/python-base:3.11-bookworm-r2`) but not its content: the CI machines build
the base from Debian's current packages each run, so a security update changes the base while
its name and every service tag stay the same, and the release skips the "unchanged" images.

The digest here is a sha256 over the Debian packages and versions installed in the base image
(its dpkg database, which the base keeps for image scanners). A rebuild from the same packages
gives the same digest; a patched package gives a new one. `publish` passes it to Pants as the
build arg BASE_IMAGE_CONTENT (pants.toml [docker] build_args), so it is part of {pants.hash}.
"""

from __future__ import annotations

import hashlib
import subprocess
import tomllib
from collections.abc import Callable, Sequence
from pathlib import Path

Runner = Callable[[Sequence[str]], "subprocess.CompletedProcess[str]"]
BUILD_ARG = "BASE_IMAGE_CONTENT"
_PACKAGES = "${Package}=${Version}\\n"


class BaseImageError(RuntimeError):
    pass


def _capture(argv: Sequence[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(argv), capture_output=True, text=True, check=False)


def configured_base(pants_toml: Path) -> str:
    """The BASE_IMAGE build arg of pants.toml's [docker] section."""
    build_args = tomllib.loads(pants_toml.read_text()).get("docker", {}).get("build_args", [])
    for arg in build_args:
        name, _, value = arg.partition("=")
        if name == "BASE_IMAGE" and value:
            return str(value)
    raise BaseImageError(f"{pants_toml}: no BASE_IMAGE=... in [docker] build_args")


def content_digest(image: str, runner: Runner = _capture) -> str:
    """sha256 over the sorted `package=version` lines of the image's dpkg database."""
    argv = ["docker", "run", "--rm", "--network=none", "--entrypoint", "dpkg-query", image]
    proc = runner([*argv, "-W", "-f", _PACKAGES])
    if proc.returncode != 0 or not proc.stdout.strip():
        detail = (proc.stderr or "").strip() or f"exit code {proc.returncode}, no packages listed"
        raise BaseImageError(f"cannot list the packages of {image}: {detail}")
    packages = sorted(line for line in proc.stdout.splitlines() if line)
    return hashlib.sha256("\n".join(packages).encode()).hexdigest()


def of_buildroot(buildroot: Path, runner: Runner = _capture) -> str:
    """The content digest of the base image the repository's pants.toml builds on."""
    return content_digest(configured_base(buildroot / "pants.toml"), runner)
