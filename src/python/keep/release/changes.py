"""Which files changed since a git ref, and which of them invalidate every image.

Pants' `--changed-since` sees changes to sources and BUILD files, but not to the configuration
that shapes every build: pants.toml, lockfiles, the base-image recipes, CI scripts. Any change
to one of those means "treat every image as changed".
"""

from __future__ import annotations

import fnmatch
import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

# Paths (relative to the repository root) whose change invalidates every image.
# `dir/**` matches everything below dir; other entries are fnmatch patterns on the whole path.
GLOBAL_PATTERNS: tuple[str, ...] = (
    "pants.toml",
    "pants",  # the launcher pins Pants itself
    ".pants-version",
    "3rdparty/**",
    "build-support/**",  # base-image recipes, registry/docker scripts, Pants tool provisioning
    ".ci/**",
)


class GitError(RuntimeError):
    pass


def _git(repo: Path, *args: str) -> str:
    proc = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise GitError(f"git {' '.join(args)} failed ({proc.returncode}): {proc.stderr.strip()}")
    return proc.stdout


def changed_files(repo: Path, ref: str) -> list[str]:
    """Files that differ between `ref` and the working tree, plus untracked files.

    Same notion of "changed" as `pants --changed-since=<ref>` (which also looks at the working
    tree), so the global rule and Pants agree on what changed.
    """
    _git(repo, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    diff = _git(repo, "diff", "--name-only", "--no-renames", ref, "--")
    untracked = _git(repo, "ls-files", "--others", "--exclude-standard")
    return sorted({line for line in (diff + untracked).splitlines() if line})


def merge_base(repo: Path, ref: str) -> str | None:
    """The merge base of `ref` and HEAD, or None if there is none (unknown ref, all-zero sha of
    a new branch, history rewritten by a force push, clone too shallow)."""
    if not ref or set(ref) == {"0"}:
        return None
    try:
        return _git(repo, "merge-base", ref, "HEAD").strip() or None
    except GitError:
        return None


def matches(path: str, pattern: str) -> bool:
    if pattern.endswith("/**"):
        return path.startswith(pattern[:-2])
    return fnmatch.fnmatchcase(path, pattern)


def global_changes(files: Iterable[str], patterns: Sequence[str] = GLOBAL_PATTERNS) -> list[str]:
    """The subset of `files` that invalidates every image."""
    return [f for f in files if any(matches(f, p) for p in patterns)]


@dataclass(frozen=True)
class ChangeSet:
    ref: str
    files: tuple[str, ...]
    global_files: tuple[str, ...]

    @property
    def everything(self) -> bool:
        return bool(self.global_files)

    def describe(self, limit: int = 5) -> str:
        if not self.files:
            return f"no files changed since {self.ref}"
        if self.everything:
            shown = ", ".join(self.global_files[:limit])
            more = len(self.global_files) - limit
            suffix = f" and {more} more" if more > 0 else ""
            return f"build configuration changed since {self.ref} ({shown}{suffix}): every image"
        return f"{len(self.files)} file(s) changed since {self.ref}: images depending on them"


def compute(repo: Path, ref: str, patterns: Sequence[str] = GLOBAL_PATTERNS) -> ChangeSet:
    files = changed_files(repo, ref)
    return ChangeSet(
        ref=ref, files=tuple(files), global_files=tuple(global_changes(files, patterns))
    )
