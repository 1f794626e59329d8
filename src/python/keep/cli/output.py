"""Where `keep get` puts the secret: stdout, or a new file opened *before* the reveal, so a bad
path fails while the secret still exists on the server."""

from __future__ import annotations

import contextlib
import os
from typing import BinaryIO

from keep.cli.errors import ExitCode, KeepError


class Output:
    def __init__(self, path: str | None, stdout: BinaryIO) -> None:
        self.path = None if path in (None, "-") else path
        self.stdout = stdout
        self._fd: int | None = None
        if self.path is not None:
            try:
                # 0o600 and never over an existing file: only whoever ran `keep get` reads it.
                self._fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except OSError as e:
                raise KeepError(
                    f"Cannot write {path}: {e.strerror}. Nothing was revealed; the link still "
                    "works.",
                    ExitCode.USAGE,
                ) from None

    def write(self, secret: bytes) -> None:
        if self._fd is None:
            self.stdout.write(secret)
            self.stdout.flush()
            return
        with os.fdopen(self._fd, "wb") as f:
            self._fd = None
            f.write(secret)

    def discard(self) -> None:
        """Removes the still-empty file after a failed reveal."""
        if self._fd is not None and self.path is not None:
            os.close(self._fd)
            self._fd = None
            with contextlib.suppress(OSError):
                os.unlink(self.path)
