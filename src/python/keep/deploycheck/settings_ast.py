"""Read the environment variables a service accepts from `keep/<svc>/settings.py` without importing it.

Each service has `class Settings(...)` (pydantic-settings) whose fields are plain annotated class
attributes; the env var is the field name upper-cased (plus `env_prefix` if one is configured).
Base classes defined in the same module or imported `from keep.x.y import Name` are followed.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

SRC = Path("src/python")
_PYDANTIC_MODULES = ("pydantic", "pydantic_settings")


class SettingsParseError(RuntimeError):
    pass


def _module_path(root: Path, module: str) -> Path:
    """The module's file: under <root>/src/python, else on sys.path (a Pants sandbox strips source
    roots from Python sources). The file is parsed, never imported."""
    rel = Path(module.replace(".", "/") + ".py")
    candidates = [root / SRC / rel, *(Path(p) / rel for p in sys.path if p)]
    for c in candidates:
        if c.is_file():
            return c
    return candidates[0]


def _parse(path: Path) -> ast.Module:
    if not path.is_file():
        raise SettingsParseError(f"{path} does not exist")
    return ast.parse(path.read_text(), filename=str(path))


def _env_prefix(cls: ast.ClassDef) -> str:
    for stmt in cls.body:
        if isinstance(stmt, (ast.Assign, ast.AnnAssign)):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            if any(isinstance(t, ast.Name) and t.id == "model_config" for t in targets):
                value = stmt.value
                if isinstance(value, ast.Call):
                    for kw in value.keywords:
                        if kw.arg == "env_prefix" and isinstance(kw.value, ast.Constant):
                            return str(kw.value.value)
                if isinstance(value, ast.Dict):
                    for k, v in zip(value.keys, value.values, strict=False):
                        if (
                            isinstance(k, ast.Constant)
                            and k.value == "env_prefix"
                            and isinstance(v, ast.Constant)
                        ):
                            return str(v.value)
    return ""


def _class_fields(
    root: Path, path: Path, class_name: str, seen: set[tuple[Path, str]]
) -> tuple[set[str], str]:
    if (path, class_name) in seen:
        return set(), ""
    seen.add((path, class_name))
    tree = _parse(path)
    classes = {n.name: n for n in tree.body if isinstance(n, ast.ClassDef)}
    imports: dict[str, str] = {}
    for n in tree.body:
        if isinstance(n, ast.ImportFrom) and n.module:
            for alias in n.names:
                imports[alias.asname or alias.name] = n.module
    if class_name not in classes:
        raise SettingsParseError(f"{path} defines no class {class_name}")
    cls = classes[class_name]
    fields: set[str] = set()
    prefix = ""
    for base in cls.bases:
        name = (
            base.id
            if isinstance(base, ast.Name)
            else base.attr if isinstance(base, ast.Attribute) else None
        )
        if name is None:
            raise SettingsParseError(
                f"{path}: cannot follow base class {ast.unparse(base)} of {class_name}"
            )
        if name in classes:
            base_fields, base_prefix = _class_fields(root, path, name, seen)
        elif name in imports and imports[name].split(".")[0] in _PYDANTIC_MODULES:
            continue
        elif name in imports and imports[name].split(".")[0] == "keep":
            base_fields, base_prefix = _class_fields(
                root, _module_path(root, imports[name]), name, seen
            )
        else:
            raise SettingsParseError(f"{path}: cannot resolve base class {name} of {class_name}")
        fields |= base_fields
        prefix = base_prefix or prefix
    for stmt in cls.body:
        if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
            name = stmt.target.id
            annotation = ast.unparse(stmt.annotation)
            if (
                name == "model_config"
                or name.startswith("_")
                or annotation.startswith(("ClassVar", "typing.ClassVar"))
            ):
                continue
            fields.add(name)
    prefix = _env_prefix(cls) or prefix
    return fields, prefix


def settings_env_vars(root: Path, service: str, class_name: str = "Settings") -> set[str]:
    """Env var names `keep.<service>.settings.<class_name>` reads (upper-cased field names)."""
    path = _module_path(root, f"keep.{service}.settings")
    if not path.is_file():
        raise SettingsParseError(
            f"{path.relative_to(root) if path.is_relative_to(root) else path} is missing: the deploy checks "
            f"compare the env vars the manifests set for {service} with the fields of "
            f"keep.{service}.settings.{class_name} (under Pants, the test target must depend on it)"
        )
    fields, prefix = _class_fields(root, path, class_name, set())
    if not fields:
        raise SettingsParseError(f"{path}: {class_name} has no annotated fields")
    return {(prefix + f).upper() for f in fields}
