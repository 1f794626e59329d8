"""A service image's layers as python_service() (build-support/macros) builds it: the base, then
the third-party venv and Keep's code, both copied into /app/venv."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Layers:
    base: int
    third_party: int
    code: int

    @property
    def total(self) -> int:
        return self.base + self.third_party + self.code


def split(history: Sequence[Mapping[str, Any]]) -> Layers:
    """Layers from `docker history` entries (newest first): the two COPYs into /app/venv on top
    (code, then third-party below it), everything under them the base."""
    venv = [
        i
        for i, e in enumerate(history)
        if "COPY" in e["CreatedBy"] and "/app/venv" in e["CreatedBy"]
    ]
    if len(venv) != 2:
        raise ValueError(f"expected 2 layers copied into /app/venv, found {len(venv)}")
    code, third_party = venv
    base = sum(int(e["Size"]) for e in history[third_party + 1 :])
    return Layers(base, int(history[third_party]["Size"]), int(history[code]["Size"]))
