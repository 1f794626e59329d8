"""What CI must build and test: everything (`::`) or the targets affected since the merge base.

The decision for `.github/workflows/ci.yml` (and the `since` ref for release.yml):
- scheduled and manual runs: everything;
- no merge base with the base ref (new branch, force push, shallow history): everything;
- a change to the build configuration (keep.release.changes.GLOBAL_PATTERNS, plus pants.ci.toml
  and the CI workflow itself): everything;
- otherwise `--changed-since=<merge base> --changed-dependents=transitive`.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from keep.release import changes

# Files whose change makes CI run on everything, on top of what makes every image change.
CI_GLOBAL_PATTERNS: tuple[str, ...] = (
    *changes.GLOBAL_PATTERNS,
    "pants.ci.toml",
    ".github/workflows/ci.yml",
)
# Events that always run everything.
FULL_EVENTS = frozenset({"schedule", "workflow_dispatch"})
DEFAULT_GOALS: tuple[str, ...] = ("lint", "check", "test", "package")


@dataclass(frozen=True)
class Scope:
    everything: bool
    reason: str
    base: str | None = None  # merge base, when there is one
    files: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        """Nothing changed at all: Pants would select no target."""
        return not self.everything and not self.files

    def pants_args(self, goals: Sequence[str] = DEFAULT_GOALS) -> list[str]:
        if self.everything:
            return [*goals, "::"]
        return [f"--changed-since={self.base}", "--changed-dependents=transitive", *goals]

    def since(self) -> str:
        """A ref for `keep-release publish --since`: the merge base, else the parent commit."""
        return self.base or "HEAD~1"

    def github_outputs(self, goals: Sequence[str] = DEFAULT_GOALS) -> dict[str, str]:
        return {
            "everything": str(self.everything).lower(),
            "empty": str(self.empty).lower(),
            "base": self.base or "",
            "since": self.since(),
            "args": shlex.join(self.pants_args(goals)),
            "reason": self.reason,
        }


def compute(
    repo: Path,
    base_ref: str,
    event: str = "pull_request",
    patterns: Sequence[str] = CI_GLOBAL_PATTERNS,
) -> Scope:
    if event in FULL_EVENTS:
        return Scope(everything=True, reason=f"{event} run: everything")
    base = changes.merge_base(repo, base_ref)
    if base is None:
        return Scope(
            everything=True,
            reason=f"no merge base with {base_ref or '<none>'!r} (new branch, force push or "
            "shallow clone): everything",
        )
    cs = changes.compute(repo, base, patterns)
    short = base[:12]
    if cs.everything:
        shown = ", ".join(cs.global_files[:5])
        more = f" and {len(cs.global_files) - 5} more" if len(cs.global_files) > 5 else ""
        reason = f"build configuration changed since {short} ({shown}{more}): everything"
    elif cs.files:
        reason = f"{len(cs.files)} file(s) changed since {short}: affected targets"
    else:
        reason = f"no files changed since {short}: nothing to do"
    return Scope(everything=cs.everything, reason=reason, base=base, files=cs.files)


def write_github_outputs(path: Path, outputs: dict[str, str]) -> None:
    """Append `key=value` lines to $GITHUB_OUTPUT (values are single-line)."""
    with path.open("a") as f:
        for key, value in outputs.items():
            f.write(f"{key}={' '.join(value.splitlines())}\n")
