"""The release tool's exit codes, and the error that carries one with a message a person can act on
(the same shape as keepctl's keep.ops.errors, with only the codes a release needs)."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    FAILED = 1  # a build, push, registry query or overlay edit failed (the message says which)
    USAGE = 2  # argparse's own code for bad arguments


class ReleaseError(Exception):
    def __init__(self, message: str, code: ExitCode = ExitCode.FAILED) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
