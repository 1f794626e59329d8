"""Errors with an exit code and a message a person can act on."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    FAILED = 1  # a rollout failed / an operation failed
    USAGE = 2  # argparse's own code for bad arguments
    UNAVAILABLE = 3  # Vault sealed or unreachable, API server unreachable
    AUTH = 4  # missing/expired/invalid credentials, permission denied
    NOT_FOUND = 5  # missing role / account / object
    TIMEOUT = 6  # gave up waiting
    DRIFT = 7  # state bucket differs from the wanted settings (and --fix was not given)


class KeepctlError(Exception):
    def __init__(self, message: str, code: ExitCode = ExitCode.FAILED) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
