"""Every tool ./pants provisions, and every wheel Pants installs, exists for all four platforms.

Reads pants.toml and the lockfiles, so a version bump that drops a platform fails here, not on
someone's Mac.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from packaging.tags import Tag
from packaging.utils import parse_wheel_filename
from tool_pins import FROM_PATH, PLATFORMS, SCOPES, WHEELS, current_platform, known_versions

PANTS_TOML = tomllib.loads(Path("pants.toml").read_text())

# What a wheel's platform tag must say to install on each platform.
PLATFORM_TAG_MATCHES: dict[str, Callable[[str], bool]] = {
    "linux_x86_64": lambda tag: tag.startswith("manylinux") and tag.endswith("_x86_64"),
    "linux_arm64": lambda tag: tag.startswith("manylinux") and tag.endswith("_aarch64"),
    "macos_x86_64": lambda tag: tag.startswith("macosx")
    and tag.endswith(("_x86_64", "_universal2")),
    "macos_arm64": lambda tag: tag.startswith("macosx") and tag.endswith(("_arm64", "_universal2")),
}


@pytest.mark.parametrize("scope", SCOPES)
def test_every_provisioned_tool_is_pinned_for_every_platform(scope: str) -> None:
    section = PANTS_TOML[scope]
    pinned = known_versions(PANTS_TOML, scope)
    from_path = FROM_PATH.get(scope, ())
    assert set(pinned) | set(from_path) == set(PLATFORMS), f"[{scope}] misses a platform"
    assert not set(pinned) & set(from_path), f"[{scope}] is both pinned and taken from PATH"
    if len({pin.sha256 for pin in pinned.values()}) > 1:
        # Different artifacts per platform need different file names.
        assert "{platform}" in section["url_template"]
        assert set(section["url_platform_mapping"]) == set(PLATFORMS)


@pytest.mark.parametrize("scope", [s for s in SCOPES if (s, PANTS_TOML[s]["version"]) in WHEELS])
def test_every_wheel_backed_pin_has_its_wheel(scope: str) -> None:
    wheel = WHEELS[(scope, PANTS_TOML[scope]["version"])]
    assert set(wheel.sha256) == set(known_versions(PANTS_TOML, scope))


def _locked(lockfile: str) -> dict[str, dict[str, Any]]:
    text = Path(lockfile).read_text()
    data = json.loads("\n".join(line for line in text.splitlines() if not line.startswith("//")))
    (resolve,) = data["locked_resolves"]
    return {req["project_name"]: req for req in resolve["locked_requirements"]}


def _wheel_platforms(requirement: dict[str, Any], python: str) -> set[str]:
    tags: set[Tag] = set()
    for artifact in requirement["artifacts"]:
        filename = artifact["url"].rsplit("/", 1)[-1]
        if filename.endswith(".whl"):
            tags |= parse_wheel_filename(filename)[3]
    usable = {t.platform for t in tags if t.interpreter in (python, "py3") or t.abi == "abi3"}
    return {
        plat
        for plat, matches in PLATFORM_TAG_MATCHES.items()
        if "any" in usable or any(matches(tag) for tag in usable)
    }


@pytest.mark.parametrize("project", ["grpcio-tools", "grpcio", "protobuf"])
def test_the_grpc_generator_and_runtime_have_wheels_for_every_platform(project: str) -> None:
    locked = _locked("3rdparty/python/default.lock")
    assert _wheel_platforms(locked[project], "cp311") == set(PLATFORMS)


def test_grpcio_tools_is_locked_at_grpcio_s_version() -> None:
    # Stubs from a newer grpcio-tools refuse to import with an older grpcio.
    locked = _locked("3rdparty/python/default.lock")
    assert locked["grpcio-tools"]["version"] == locked["grpcio"]["version"]


@pytest.mark.parametrize(
    ("system", "machine", "expected"),
    [
        ("Linux", "x86_64", "linux_x86_64"),
        ("Linux", "aarch64", "linux_arm64"),
        ("Darwin", "x86_64", "macos_x86_64"),
        ("Darwin", "arm64", "macos_arm64"),
    ],
)
def test_platform_names_follow_pants(system: str, machine: str, expected: str) -> None:
    assert current_platform(system, machine) == expected
