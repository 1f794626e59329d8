"""Rewrite the `images:` entries of a kustomize overlay, keeping everything else byte-for-byte.

Each entry carries `newTag` (the content-hash tag, for people reading the overlay) and `digest`
(what is pulled): kustomize 5 renders `newName:newTag@digest`, and with a digest the runtime pulls
by digest, so a tag can never be re-pointed under a running environment (checkov CKV_K8S_43).

ruamel.yaml (round-trip mode) parses the file to find where each value sits; the edit
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

# The committed overlays' placeholder: an image no release has written yet (no such tag exists,
# so nothing can run it by accident). The release job replaces it with a tag and a digest.
UNRELEASED = "unreleased"
DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
_SCALAR = re.compile(r"""("(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|[^\s#][^#]*?)(\s*(?:#.*)?)$""")


class OverlayError(RuntimeError):
    pass


@dataclass(frozen=True)
class Pin:
    """What an images entry points at: newTag (readable) and digest (what is pulled)."""

    tag: str
    digest: str | None

    def __str__(self) -> str:
        return f"{self.tag}@{self.digest}" if self.digest else self.tag


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


def read_images(path: Path) -> dict[str, Pin]:
    """name -> Pin(newTag, digest) of the overlay's images entries that have a newTag."""
    doc = _load(path.read_text())
    return {
        str(e["name"]): Pin(str(e["newTag"]), str(e["digest"]) if "digest" in e else None)
        for e in _images(doc, path)
        if isinstance(e, CommentedMap) and "name" in e and "newTag" in e
    }


def read_tags(path: Path) -> dict[str, str]:
    """name -> newTag of the overlay's images entries."""
    return {name: pin.tag for name, pin in read_images(path).items()}


def new_names(path: Path) -> dict[str, str]:
    """name -> newName (the image in the registry) of the overlay's images entries."""
    return {
        str(e["name"]): str(e["newName"])
        for e in _images(_load(path.read_text()), path)
        if isinstance(e, CommentedMap) and "name" in e and "newName" in e
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


def set_images(path: Path, pins: Mapping[str, Pin], *, dry_run: bool = False) -> list[Change]:
    """Set newTag and digest of the named images entries. Every name must have an entry already,
    and every pin a digest: a tag alone would leave an older digest (or none) pinning the image."""
    for name, pin in pins.items():
        if pin.digest is None or not DIGEST.match(pin.digest):
            raise OverlayError(f"{name}: {pin.tag} has no sha256 digest ({pin.digest!r})")
    text = path.read_text()
    doc = _load(text)
    images = _images(doc, path)
    lines = text.splitlines(keepends=True)
    by_name = {str(e.get("name")): e for e in images if isinstance(e, CommentedMap)}
    missing = sorted(set(pins) - set(by_name))
    if missing:
        raise OverlayError(
            f"{path}: no images entry for {', '.join(missing)} (add `- name: ...` with newName first)"
        )
    changes: list[Change] = []
    inserts: list[tuple[int, int, str]] = []
    for name, new in sorted(pins.items()):
        entry = by_name[name]
        old = (
            Pin(str(entry["newTag"]), str(entry["digest"]) if "digest" in entry else None)
            if "newTag" in entry
            else None
        )
        if old == new:
            continue
        changes.append(Change(name, str(old) if old else None, str(new)))
        last_key = list(entry.keys())[-1]
        after_last = entry.lc.value(last_key)[0] + 1
        for order, (key, value) in enumerate((("newTag", new.tag), ("digest", new.digest))):
            assert value is not None
            if key in entry:
                line_no, col = entry.lc.value(key)
                line = lines[line_no]
                m = _SCALAR.match(line, col)
                if not m:
                    raise OverlayError(f"{path}:{line_no + 1}: cannot parse {key} value")
                quote = m.group(1)[0] if m.group(1)[0] in "'\"" else ""
                eol = "\n" if line.endswith("\n") else ""
                rest = m.group(2).rstrip("\n")
                lines[line_no] = line[:col] + _yaml_scalar(value, quote) + rest + eol
            else:
                # Add the key under the entry's last key, with that key's indentation.
                key_col = entry.lc.key(last_key)[1]
                inserts.append(
                    (after_last, order, " " * key_col + f"{key}: {_yaml_scalar(value)}\n")
                )
    for at, _, text_line in sorted(inserts, reverse=True):
        if at > 0 and not lines[at - 1].endswith("\n"):
            lines[at - 1] += "\n"
        lines.insert(at, text_line)
    new_text = "".join(lines)

    # Safety net: the edited file must parse to exactly the old data with the new pins.
    expected = _load(text)
    for e in _images(expected, path):
        if isinstance(e, CommentedMap) and str(e.get("name")) in pins:
            pin = pins[str(e["name"])]
            e["newTag"], e["digest"] = pin.tag, pin.digest
    if _plain(_load(new_text)) != _plain(expected):
        raise OverlayError(f"{path}: refusing an edit that would change more than newTag/digest")
    if changes and not dry_run:
        path.write_text(new_text)
    return changes


def pins_from_report(data: Mapping[str, Any]) -> dict[str, Pin]:
    """name -> Pin of a publish / push-base report: every image it names must have a digest."""
    tags, digests = dict(data.get("tags") or {}), dict(data.get("digests") or {})
    unpinned = sorted(set(tags) - set(digests))
    if unpinned:
        raise OverlayError(f"report has no registry digest for {', '.join(unpinned)}")
    return {str(name): Pin(str(tag), str(digests[name])) for name, tag in tags.items()}


def released(pins: Mapping[str, Pin]) -> dict[str, Pin]:
    """The pins that name a released image (not the committed `unreleased` placeholder)."""
    return {name: pin for name, pin in pins.items() if pin.tag != UNRELEASED}


def _plain(node: Any) -> Any:
    if isinstance(node, dict):
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    return node if node is None or isinstance(node, bool | int | float) else str(node)
