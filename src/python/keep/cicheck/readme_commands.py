"""The `./pants` commands a README shows: in fenced and indented code blocks and inline code."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from keep.cicheck.workflows import commands

_FENCE = re.compile(r"^\s*(```|~~~)")
_INLINE = re.compile(r"`([^`\n]+)`")
# `<service>` in a command is a placeholder, not a shell redirection.
_PLACEHOLDER = re.compile(r"<([^<>\s]+)>")


@dataclass(frozen=True)
class ShownCommand:
    readme: Path
    line: int
    words: tuple[str, ...]

    @property
    def where(self) -> str:
        return f"{self.readme}:{self.line}"


def _code_lines(text: str) -> list[tuple[int, str]]:
    """(line number, text) of every line of code: fenced blocks, 4-space indented blocks outside
    lists, and inline code spans."""
    out: list[tuple[int, str]] = []
    fenced = False
    for n, line in enumerate(text.splitlines(), 1):
        if _FENCE.match(line):
            fenced = not fenced
            continue
        if fenced or line.startswith("    ") and not line.lstrip().startswith(("-", "*")):
            out.append((n, line))
        else:
            out += [(n, span) for span in _INLINE.findall(line)]
    return out


def pants_commands(readme: Path) -> list[ShownCommand]:
    found = []
    lines = _code_lines(readme.read_text())
    joined: list[tuple[int, str]] = []
    for n, line in lines:  # shell line continuations
        if joined and joined[-1][1].endswith("\\"):
            joined[-1] = (joined[-1][0], joined[-1][1][:-1] + " " + line.strip())
        else:
            joined.append((n, line))
    for n, line in joined:
        if "pants" not in line:
            continue
        code = _PLACEHOLDER.sub(r"@\1@", line.split("  #", 1)[0])  # comments hold prose
        try:
            cmds = commands(code)
        except ValueError:  # prose with an apostrophe, not a command
            continue
        found += [
            ShownCommand(readme, n, tuple(w)) for w in cmds if w and w[0] in ("./pants", "pants")
        ]
    return found
