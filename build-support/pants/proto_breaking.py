"""`buf breaking`: fail when a .proto change is wire-incompatible with the merge base.

Services are deployed one at a time, so an old gateway talks to a new datastorage during every
rollout: a removed field, a changed type or a renumbered field breaks that conversation. CI runs

    ./pants run build-support/pants:proto-breaking -- origin/main --repo "$PWD"

which compares src/proto at HEAD (the working tree) with src/proto at `git merge-base HEAD
<against>`, using the buf ./pants provisions (pinned in pants.toml `[buf]`) and the rules in
src/proto/buf.yaml. buf's own messages name the file, line and what broke.
"""

from __future__ import annotations

import argparse
import io
import os
import subprocess
import sys
import tarfile
import tempfile
import tomllib
import zipfile
from pathlib import Path

from tool_pins import current_platform

PROTO_ROOT = "src/proto"
CONFIG = f"{PROTO_ROOT}/buf.yaml"


def buf_archive(pants_toml: Path, tools_dir: Path) -> Path:
    """The buf zip ./pants provisioned for this platform (see provision_tools.py)."""
    section = tomllib.loads(pants_toml.read_text())["buf"]
    platform = current_platform()
    url = section["url_template"].replace("%(env.KEEP_TOOLS_DIR)s", str(tools_dir))
    url = url.format(version=section["version"], platform=section["url_platform_mapping"][platform])
    archive = Path(url.removeprefix("file://"))
    if not archive.exists():
        raise SystemExit(f"{archive} is missing: run ./pants once to provision buf")
    return archive


def merge_base(repo: Path, against: str) -> str:
    return subprocess.run(
        ["git", "merge-base", "HEAD", against], cwd=repo, capture_output=True, text=True, check=True
    ).stdout.strip()


def tree_at(repo: Path, commit: str, dest: Path) -> Path:
    """src/proto as of `commit`, extracted under dest (empty if it did not exist yet)."""
    archive = subprocess.run(
        ["git", "archive", "--format=tar", commit, "--", PROTO_ROOT], cwd=repo, capture_output=True
    )
    (dest / PROTO_ROOT).mkdir(parents=True, exist_ok=True)
    if archive.returncode == 0:
        with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
            tar.extractall(dest, filter="data")
    return dest / PROTO_ROOT


def breaking(repo: Path, against: str, buf_zip: Path) -> subprocess.CompletedProcess[str]:
    """Runs buf breaking in `repo`; returncode 0 means wire-compatible with the merge base."""
    with tempfile.TemporaryDirectory() as tmp:
        with zipfile.ZipFile(buf_zip) as zf:
            buf = Path(zf.extract("buf/bin/buf", tmp))
        buf.chmod(0o755)
        base = tree_at(repo, merge_base(repo, against), Path(tmp) / "base")
        config = str(repo / CONFIG)
        # From the proto root, as `pants lint` runs buf: the config's module is ".".
        return subprocess.run(
            [
                str(buf),
                "breaking",
                ".",
                "--config",
                config,
                "--against",
                str(base),
                "--against-config",
                config,
            ],
            cwd=repo / PROTO_ROOT,
            capture_output=True,
            text=True,
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("against", help="the branch to take the merge base with, e.g. origin/main")
    parser.add_argument("--repo", type=Path, default=Path.cwd())
    args = parser.parse_args()
    tools_dir = Path(os.environ["KEEP_TOOLS_DIR"])
    result = breaking(args.repo, args.against, buf_archive(args.repo / "pants.toml", tools_dir))
    sys.stdout.write(result.stdout)
    sys.stderr.write(result.stderr)
    if result.returncode == 0:
        print(
            f"proto_breaking: {PROTO_ROOT} is wire-compatible with the merge base of {args.against}"
        )
    return result.returncode


if __name__ == "__main__":
    sys.exit(main())
