"""Byte progress on stderr for large transfers: one line rewritten in place."""

from __future__ import annotations

from typing import TextIO

# Below this, a transfer is over before a progress line would be readable.
AUTO_THRESHOLD_BYTES = 16 * 1024


def _kib(n: int) -> str:
    return f"{n / 1024:.1f} KiB"


class Progress:
    """`forced` comes from --progress / --no-progress; None shows progress only on a terminal
    and only for transfers of at least AUTO_THRESHOLD_BYTES."""

    def __init__(self, out: TextIO, forced: bool | None = None) -> None:
        self.out = out
        self.forced = forced

    def _shown(self, total: int) -> bool:
        if self.forced is not None:
            return self.forced
        return self.out.isatty() and total >= AUTO_THRESHOLD_BYTES

    def update(self, label: str, done: int, total: int) -> None:
        if not self._shown(total):
            return
        percent = 100 * done // total if total else 100
        end = "\n" if done >= total else ""
        self.out.write(f"\r{label} {_kib(done)} / {_kib(total)} ({percent}%){end}")
        self.out.flush()
