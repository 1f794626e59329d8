"""Read workflows and split their `run:` scripts into simple commands."""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

WORKFLOWS_DIR = Path(".github/workflows")

# Shell words that start or end a compound command; they are not commands themselves.
_KEYWORDS = {"if", "then", "else", "elif", "fi", "do", "done", "!", "{", "}", "while", "until"}
_OPERATOR = re.compile(r"^[;&|()]+$")
_REDIRECT = re.compile(r"^[0-9]*(<|>|>>|<<|<<<|>&|<&)$")
# `name=(...)` / `name+=(...)`: bash array assignments (no command runs).
_ARRAY_ASSIGNMENT = re.compile(r"\b[A-Za-z_][A-Za-z0-9_]*\+?=\([^)]*\)")
_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*\+?=")


@dataclass(frozen=True)
class Step:
    workflow: str
    job: str
    index: int
    data: dict[str, Any]

    @property
    def where(self) -> str:
        name = self.data.get("name") or self.data.get("uses") or f"step {self.index}"
        return f"{self.workflow} / {self.job} / {name}"


@dataclass(frozen=True)
class Workflow:
    path: Path
    text: str
    data: dict[str, Any]

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def on(self) -> dict[str, Any]:
        # PyYAML (YAML 1.1) reads the key `on` as the boolean True.
        data: dict[Any, Any] = self.data
        on = data.get("on", data.get(True))
        if isinstance(on, str):
            return {on: None}
        if isinstance(on, list):
            return dict.fromkeys(on)
        return dict(on or {})

    @property
    def jobs(self) -> dict[str, dict[str, Any]]:
        return dict(self.data.get("jobs") or {})

    def steps(self) -> Iterator[Step]:
        for job_id, job in self.jobs.items():
            for i, step in enumerate(job.get("steps") or []):
                yield Step(self.name, job_id, i, step)


def load(directory: Path = WORKFLOWS_DIR) -> list[Workflow]:
    paths = sorted([*directory.glob("*.yml"), *directory.glob("*.yaml")])
    return [Workflow(p, p.read_text(), yaml.safe_load(p.read_text())) for p in paths]


def commands(script: str) -> list[list[str]]:
    """The simple commands of a bash script, as word lists (quotes removed, variables kept).

    Good enough for the scripts in our workflows: line continuations, `;`, `&&`, `||`, `|`,
    redirections, if/for/{ } groups and array assignments. Not a bash parser.
    """
    out: list[list[str]] = []
    for line in script.replace("\\\n", " ").splitlines():
        line = _ARRAY_ASSIGNMENT.sub("", line).strip()
        if not line or line.startswith("#"):
            continue
        lexer = shlex.shlex(line, posix=True, punctuation_chars=";&|()<>")
        lexer.whitespace_split = True
        lexer.commenters = "#"
        words: list[str] = []
        for token in [*lexer, ";"]:
            if _OPERATOR.match(token):
                out.extend(_simple(words))
                words = []
            else:
                words.append(token)
    return out


def _simple(words: list[str]) -> list[list[str]]:
    cleaned: list[str] = []
    skip_next = False
    for word in words:
        if skip_next:
            skip_next = False
        elif _REDIRECT.match(word):
            skip_next = True
        else:
            cleaned.append(word)
    while cleaned and (cleaned[0] in _KEYWORDS or _ASSIGNMENT.match(cleaned[0])):
        cleaned.pop(0)
    if not cleaned or cleaned[0] in ("for", "case"):
        return []
    return [cleaned]


def uses_lines(text: str) -> list[tuple[int, str]]:
    """(line number, line) of every `uses:` in a workflow's text."""
    return [
        (n, line.strip())
        for n, line in enumerate(text.splitlines(), 1)
        if re.match(r"^\s*(-\s+)?uses:", line)
    ]


def quote(words: list[str]) -> str:
    return shlex.join(words)
