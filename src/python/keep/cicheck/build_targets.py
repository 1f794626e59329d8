"""The targets BUILD files declare, read with `ast` (no Pants run): their type, name and the
literal fields the offline checks need (tags, overrides, runtime_package_dependencies).

Pants 2.17 semantics kept here: a target's name defaults to its directory's; a generator's
`overrides` key is a file name, a glob or a tuple of them, and an override *replaces* the field.
"""

from __future__ import annotations

import ast
import fnmatch
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# BUILD-file macros (build-support/macros): macro -> the (type, name) targets a call with
# name=N defines, "{name}" standing for N.
MACROS = {
    "python_service": (
        ("pex_binary", "{name}"),
        ("pex_binary", "{name}-deps"),
        ("docker_image", "image"),
    ),
}


@dataclass(frozen=True)
class Target:
    directory: str
    type: str
    name: str
    # Keyword arguments whose values are Python literals; others (e.g. http_source(...)) are left out.
    fields: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def address(self) -> str:
        return f"{self.directory}:{self.name}"

    def field_for(self, filename: str, name: str, default: Any = None) -> Any:
        """The value of field `name` for one file this generator owns: its override, if a key
        matches the file, else the target's own value."""
        for key, values in self.fields.get("overrides", {}).items():
            patterns = key if isinstance(key, tuple) else (key,)
            if name in values and any(fnmatch.fnmatchcase(filename, p) for p in patterns):
                return values[name]
        return self.fields.get(name, default)


def _literal_fields(call: ast.Call) -> dict[str, Any]:
    fields = {}
    for keyword in call.keywords:
        if keyword.arg is None:
            continue
        try:
            fields[keyword.arg] = ast.literal_eval(keyword.value)
        except ValueError:
            continue
    return fields


def targets_in(root: Path, directory: str) -> list[Target]:
    """The targets a directory's BUILD file declares (top-level calls), macros expanded."""
    build = root / directory / "BUILD"
    if not build.is_file():
        return []
    found = []
    for node in ast.parse(build.read_text()).body:
        if not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)):
            continue
        call = node.value
        if not isinstance(call.func, ast.Name):
            continue
        fields = _literal_fields(call)
        name = fields.get("name", Path(directory).name)
        expanded = MACROS.get(call.func.id, ((call.func.id, "{name}"),))
        found += [Target(directory, t, n.format(name=name), fields) for t, n in expanded]
    return found


def build_directories(root: Path) -> list[str]:
    """Every directory holding a BUILD file, relative to root ("" for root itself)."""
    return sorted(
        "" if b.parent == root else str(b.parent.relative_to(root))
        for b in root.rglob("BUILD")
        if not any(part.startswith(".") for part in b.relative_to(root).parts[:-1])
    )


def resolve(address: str, relative_to: str) -> tuple[str, str]:
    """(directory, name) of an address as a BUILD file writes it (`:x`, `dir:x`, `//dir:x`, `dir`)."""
    path, colon, name = address.removeprefix("//").partition(":")
    directory = path if path or address.startswith("//") else relative_to
    return directory, name if colon else Path(directory).name


def python_test_files(root: Path) -> dict[Path, Target]:
    """Every Python test file (`*_test.py`, `test_*.py`) in a directory with python_tests, mapped
    to the python_tests target owning it (sources default to those globs)."""
    owned: dict[Path, Target] = {}
    for directory in build_directories(root):
        for target in targets_in(root, directory):
            if target.type != "python_tests":
                continue
            patterns = target.fields.get("sources", ["test_*.py", "*_test.py", "tests.py"])
            for path in sorted((root / directory).glob("*.py")):
                if any(fnmatch.fnmatchcase(path.name, p) for p in patterns):
                    owned[path.relative_to(root)] = target
    return owned
