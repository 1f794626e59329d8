"""The one place the Terraform code is parsed (python-hcl2) for the tests of infra/terraform.

Two views of a .tf file: `parse_tf` gives plain values (blocks are lists of dicts, attributes are
values, expressions stay '${...}' strings) for the invariant tests; `parse_tf_blocks` additionally
marks blocks (`__is_block__`) so the provider-schema check can tell a block from a map attribute.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

import hcl2

TF_ROOT = Path(__file__).resolve().parent
REPO_ROOT = TF_ROOT.parents[1]
MODULES = TF_ROOT / "modules"
ROOTS = {
    "bootstrap": TF_ROOT / "bootstrap",
    "shared": TF_ROOT / "envs" / "shared",
    "dev": TF_ROOT / "envs" / "dev",
    "prod": TF_ROOT / "envs" / "prod",
}
# The roots Terraform runs with a deployer identity (bootstrap is run by a person).
DEPLOYED_ROOTS = ("shared", "dev", "prod")


def _options(explicit_blocks: bool) -> hcl2.SerializationOptions:
    # python-hcl2 8 keeps the source's quotes on strings and block labels by default ('"gcs"');
    # these options give plain values (quotes stripped, heredocs as strings, no comments).
    return hcl2.SerializationOptions(
        strip_string_quotes=True,
        with_comments=False,
        explicit_blocks=explicit_blocks,
        preserve_heredocs=False,
    )


def _unescape(value: Any) -> Any:
    """Turn HCL string escapes (which python-hcl2 keeps, also inside ${...}) into characters."""
    if isinstance(value, str):
        return re.sub(r'\\(["\\])', r"\1", value)
    if isinstance(value, list):
        return [_unescape(v) for v in value]
    if isinstance(value, dict):
        return {_unescape(k): _unescape(v) for k, v in value.items()}
    return value


def parse_tf_text(text: str, *, explicit_blocks: bool = False) -> dict[str, Any]:
    normalized: dict[str, Any] = _unescape(
        hcl2.loads(text, serialization_options=_options(explicit_blocks))
    )
    return normalized


def parse_tf(path: Path, *, explicit_blocks: bool = False) -> dict[str, Any]:
    return parse_tf_text(path.read_text(), explicit_blocks=explicit_blocks)


def one(value: Any) -> Any:
    """Blocks come as single-element lists (`backend { gcs {...} }` -> [{'gcs': {...}}]): unwrap."""
    while isinstance(value, list) and len(value) == 1:
        value = value[0]
    return value


@cache
def load_dir(path: Path) -> dict[str, Any]:
    """Merge every .tf file of a directory into {kind: ...} maps."""
    merged: dict[str, Any] = {
        "resource": {},
        "data": {},
        "module": {},
        "provider": {},
        "terraform": [],
        "import": [],
        "variable": {},
        "locals": {},
        "output": {},
    }
    for tf in sorted(path.glob("*.tf")):
        doc = parse_tf(tf)
        for kind in ("resource", "data"):
            for group in doc.get(kind, []):
                for rtype, named in group.items():
                    for name, body in named.items():
                        merged[kind][(rtype, name)] = body
        for kind in ("module", "variable", "locals", "output"):
            for group in doc.get(kind, []):
                merged[kind].update(group)
        for group in doc.get("provider", []):
            merged["provider"].update(group)
        merged["terraform"].extend(doc.get("terraform", []))
        merged["import"].extend(doc.get("import", []))
    return merged


def resources(path: Path, rtype: str) -> dict[str, Any]:
    return {name: body for (t, name), body in load_dir(path)["resource"].items() if t == rtype}


def the(path: Path, rtype: str) -> dict[str, Any]:
    found = resources(path, rtype)
    assert len(found) == 1, f"expected exactly one {rtype} in {path}, found {sorted(found)}"
    return next(iter(found.values()))


def block(body: dict[str, Any], key: str) -> dict[str, Any]:
    value = one(body.get(key))
    assert isinstance(value, dict), f"missing block {key}"
    return value


def all_tf_files() -> list[Path]:
    return sorted(p for p in TF_ROOT.rglob("*.tf") if ".terraform" not in p.parts)


def all_tf_dirs() -> list[Path]:
    return sorted({p.parent for p in all_tf_files()})


def module_dirs(root: Path, *, active_only: bool = False) -> list[Path]:
    """root and every module it calls, transitively (local sources only).

    active_only: leave out module calls switched off for this root, i.e. a call with
    `for_each = var.X == null ? {} : ...` whose caller did not pass X (dev's memorystore)."""
    seen: list[Path] = []
    todo: list[tuple[Path, set[str] | None]] = [(root.resolve(), None)]
    while todo:
        path, given = todo.pop()
        if path in seen:
            continue
        seen.append(path)
        for mod in load_dir(path)["module"].values():
            switch = re.search(r"var\.(\w+) == null \? \{\}", str(one(mod.get("for_each", ""))))
            if active_only and given is not None and switch and switch.group(1) not in given:
                continue
            todo.append(((path / one(mod["source"])).resolve(), set(mod)))
    return seen
