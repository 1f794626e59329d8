"""What `keep` tells a person when something goes wrong, and the exit code scripts can test."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    FAILED = 1  # anything else the server refused (the message says what)
    USAGE = 2  # argparse's own code for bad arguments
    UNAVAILABLE = 3  # server unreachable, down, overloaded or timed out: try again later
    GONE = 4  # the secret was already read, expired, or never existed
    DENIED = 5  # wrong password, locked, or rate limited
    DAMAGED = 6  # the link or the stored data is damaged / altered: nothing was decrypted
    TOO_LARGE = 7  # the secret is over the server's limit


class KeepError(Exception):
    def __init__(self, message: str, code: ExitCode = ExitCode.FAILED) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
