"""Rewrite the `images:` entries of a kustomize overlay, keeping everything else byte-for-byte.

ruamel.yaml (round-trip mode) parses the file to find where each `newTag` value sits; the edit
itself is a text substitution on that line, so comments, indentation, quoting and key order of
the hand-written overlay survive. After editing, the result is parsed again and compared with the
intended data: an edit that changed anything else is refused.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

UNRELEASED = "unreleased"
_SCALAR = re.compile(r"""("(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|[^\s#][^#]*?)(\s*(?:#.*)?)$""")


class OverlayError(RuntimeError):
    pass


@dataclass(frozen=True)
class Change:
    name: str
    old: str | None
    new: str

    def __str__(self) -> str:
        return f"{self.name}: {self.old or '(none)'} -> {self.new}"


def overlay_path(deploy_root: Path, env: str) -> Path:
    return deploy_root / "overlays" / env / "kustomization.yaml"


def _load(text: str) -> Any:
    return YAML(typ="rt").load(text)


def _images(doc: Any, path: Path) -> CommentedSeq:
    images = doc.get("images") if isinstance(doc, CommentedMap) else None
    if not isinstance(images, CommentedSeq):
        raise OverlayError(f"{path}: no `images:` list")
    return images


def read_tags(path: Path) -> dict[str, str]:
    """name -> newTag of the overlay's images entries."""
    doc = _load(path.read_text())
    return {
        str(e["name"]): str(e["newTag"])
        for e in _images(doc, path)
        if isinstance(e, CommentedMap) and "name" in e and "newTag" in e
    }


def _yaml_scalar(value: str, quote: str = "") -> str:
    """`value` as a YAML scalar that reads back as the same string."""
    if not quote:
        loaded = YAML(typ="safe").load(value) if value else None
        if isinstance(loaded, str) and loaded == value and value.strip() == value:
            return value
        quote = '"'
    if quote == "'":
        return "'" + value.replace("'", "''") + "'"
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def set_tags(path: Path, tags: Mapping[str, str], *, dry_run: bool = False) -> list[Change]:
    """Set newTag of the named images entries. Every name must have an entry already."""
    text = path.read_text()
    doc = _load(text)
    images = _images(doc, path)
    lines = text.splitlines(keepends=True)
    by_name = {str(e.get("name")): e for e in images if isinstance(e, CommentedMap)}
    missing = sorted(set(tags) - set(by_name))
    if missing:
        raise OverlayError(
            f"{path}: no images entry for {', '.join(missing)} (add `- name: ...` with newName first)"
        )
    changes: list[Change] = []
    inserts: list[tuple[int, str]] = []
    for name, new in sorted(tags.items()):
        entry = by_name[name]
        old = str(entry["newTag"]) if "newTag" in entry else None
        if old == new:
            continue
        changes.append(Change(name, old, new))
        if old is not None:
            line_no, col = entry.lc.value("newTag")
            line = lines[line_no]
            m = _SCALAR.match(line, col)
            if not m:
                raise OverlayError(f"{path}:{line_no + 1}: cannot parse newTag value")
            quote = m.group(1)[0] if m.group(1)[0] in "'\"" else ""
            eol = "\n" if line.endswith("\n") else ""
            rest = m.group(2).rstrip("\n")
            lines[line_no] = line[:col] + _yaml_scalar(new, quote) + rest + eol
        else:
            # Add `newTag:` under the entry's last key, with that key's indentation.
            last_key = list(entry.keys())[-1]
            line_no, _ = entry.lc.value(last_key)
            key_col = entry.lc.key(last_key)[1]
            inserts.append((line_no + 1, " " * key_col + f"newTag: {_yaml_scalar(new)}\n"))
    for at, text_line in sorted(inserts, reverse=True):
        if at > 0 and not lines[at - 1].endswith("\n"):
            lines[at - 1] += "\n"
        lines.insert(at, text_line)
    new_text = "".join(lines)

    # Safety net: the edited file must parse to exactly the old data with the new tags.
    expected = _load(text)
    for e in _images(expected, path):
        if isinstance(e, CommentedMap) and str(e.get("name")) in tags:
            e["newTag"] = tags[str(e["name"])]
    if _plain(_load(new_text)) != _plain(expected):
        raise OverlayError(f"{path}: refusing an edit that would change more than newTag")
    if changes and not dry_run:
        path.write_text(new_text)
    return changes


def promote(
    src: Path, dst: Path, names: list[str] | None = None, *, dry_run: bool = False
) -> list[Change]:
    """Copy newTag values from one overlay (dev) to another (prod). Without `names`, every
    image that has an entry in both (prod has no redis: it uses Memorystore). Images that are
    still `unreleased` in the source are not promoted."""
    src_tags = read_tags(src)
    if names:
        wanted = names
    else:
        dst_names = {
            str(e.get("name"))
            for e in _images(_load(dst.read_text()), dst)
            if isinstance(e, CommentedMap)
        }
        wanted = sorted(set(src_tags) & dst_names)
    unknown = sorted(set(wanted) - set(src_tags))
    if unknown:
        raise OverlayError(f"{src}: no newTag for {', '.join(unknown)}")
    tags = {n: src_tags[n] for n in wanted if src_tags[n] != UNRELEASED}
    return set_tags(dst, tags, dry_run=dry_run)


def _plain(node: Any) -> Any:
    if isinstance(node, dict):
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    return node if node is None or isinstance(node, bool | int | float) else str(node)
