"""Resolve Pants command-line specs against the BUILD files the way Pants 2.17 does, without
running Pants: which targets `./pants <goal> <spec>` selects, and whether `run` gets exactly one.

Pants' spec forms (docs: "Goal arguments"):
- `dir::` every target at or below dir; `dir:` every target in dir;
- `dir:name` one target; `dir/file.py` the targets owning that file;
- `dir` (no colon): every target *in* dir, including the file-level targets that
  `python_sources`/`python_tests` generate. `run` needs exactly one runnable target among them,
  so `./pants run src/python/keep/datastorage` (a pex_binary, an image, sources and tests) fails
  with "ambiguous".

A generator target (python_sources, python_tests...) counts as one runnable target per file; the
BUILD files are read here without the source files, so it counts as "at least one".
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from keep.cicheck.build_targets import Target, targets_in

# Target types `./pants run` accepts (2.17): binaries, images, and every python file target.
RUNNABLE = {"pex_binary", "docker_image", "python_source", "python_test"}
GENERATORS = {"python_sources": "python_source", "python_tests": "python_test"}
GOALS = {
    "check",
    "dependencies",
    "dependents",
    "export",
    "fmt",
    "generate-lockfiles",
    "help",
    "lint",
    "list",
    "package",
    "peek",
    "publish",
    "repl",
    "run",
    "tailor",
    "test",
    "update-build-files",
    "version",
}


def _runnable(target: Target) -> bool:
    return target.type in RUNNABLE or target.type in GENERATORS


@dataclass(frozen=True)
class Command:
    goals: tuple[str, ...]
    specs: tuple[str, ...]


def parse(words: list[str]) -> Command:
    """Split `./pants [options] goal... [options] spec... [-- args]` into goals and specs."""
    goals: list[str] = []
    specs: list[str] = []
    for word in words[1:]:
        if word == "--":
            break
        if word.startswith("-"):
            continue
        if word in GOALS and not specs:
            goals.append(word)
        else:
            specs.append(word)
    return Command(tuple(goals), tuple(specs))


def _placeholder(spec: str) -> bool:
    return any(c in spec for c in "@<>$[]|*")


def check(root: Path, words: list[str]) -> list[str]:
    """Problems with one `./pants ...` command: unknown goals, specs naming nothing, and a `run`
    that would not select exactly one runnable target."""
    cmd = parse(words)
    problems = []
    unknown = [w for w in cmd.specs if ":" not in w and "/" not in w and not _placeholder(w)]
    problems += [f"unknown goal {w!r}" for w in unknown]
    if not cmd.goals:
        return problems  # `./pants` named in prose, not a command
    for spec in cmd.specs:
        if spec in unknown or _placeholder(spec):
            continue
        selected, error = _select(root, spec)
        if error:
            problems.append(f"{spec}: {error}")
            continue
        if "run" in cmd.goals:
            runnable = [t for t in selected if _runnable(t)]
            generators = [t for t in runnable if t.type in GENERATORS]
            if not runnable:
                problems.append(f"{spec}: nothing runnable")
            elif len(runnable) > 1 or (generators and spec.endswith((":", "::"))):
                shown = ", ".join(t.address for t in runnable)
                problems.append(f"`run {spec}` is ambiguous: it selects {shown}")
    return problems


def _select(root: Path, spec: str) -> tuple[list[Target], str | None]:
    if spec.endswith("::"):
        directory = spec[:-2].rstrip("/")
        if directory and not (root / directory).is_dir():
            return [], "no such directory"
        base = root / directory if directory else root
        found = [
            t
            for build in sorted(base.rglob("BUILD"))
            for t in targets_in(root, str(build.parent.relative_to(root)))
        ]
        return found, None if found else "no BUILD file at or below it"
    path, colon, name = spec.partition(":")
    if (root / path).is_file() or path.endswith(".py"):
        # A file spec (or a generated target `dir/file.py:gen`): the owners are generators in
        # the file's directory.
        owners = [
            t
            for t in targets_in(root, str(Path(path).parent))
            if t.type in GENERATORS and (not name or t.name == name)
        ]
        return owners, None if owners else "no python_sources/python_tests target owns it"
    found = targets_in(root, path)
    if not (root / path / "BUILD").is_file():
        return [], "no BUILD file in that directory"
    if colon and name:
        named = [t for t in found if t.name == name]
        return named, None if named else f"no target named {name!r} in {path}/BUILD"
    return found, None
