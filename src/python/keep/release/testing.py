"""Helpers for the release tooling's tests: temporary git repositories, patched base images."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

# Appends a suffix to the first package version in the dpkg database: what a Debian security
# update does to a base image's content digest. Python, not sed: keep/python-base has no shell.
_BUMP_FIRST_VERSION = """
import pathlib, re, sys
status = pathlib.Path("/var/lib/dpkg/status")
text = re.sub(r"^(Version: .*)$", r"\\g<1>" + sys.argv[1], status.read_text(), count=1, flags=re.M)
status.write_text(text)
"""


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def write(repo: Path, files: dict[str, str]) -> None:
    for name, content in files.items():
        path = repo / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)


def commit(repo: Path, files: dict[str, str], message: str = "change") -> str:
    write(repo, files)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD")


def patched_base_dockerfile(base: str, version_suffix: str) -> str:
    """A Dockerfile: `base` with `version_suffix` appended to its first package's version."""
    argv = ["python3.11", "-c", _BUMP_FIRST_VERSION, version_suffix]
    return f"FROM {base}\nUSER 0\nRUN {json.dumps(argv)}\nUSER 10001\n"
