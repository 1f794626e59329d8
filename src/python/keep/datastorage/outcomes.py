"""What SecretStore's calls answer (store.py), and how they fail."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from keep.datastorage.crypto import SealedRecord


class StoreUnavailable(Exception):
    """Redis did not answer in time, even after repeating the call; the outcome is unknown."""


class NotReplicated(StoreUnavailable):
    """The write happened on the primary, but fewer replicas than required confirmed it in
    time (WAIT): failing closed, the caller is not told it succeeded."""


class TooLate(StoreUnavailable):
    """Redis ran a reveal only after its caller's deadline (it was frozen, or the call sat in a
    queue), so the reveal did nothing: a payload claimed then would reach nobody."""


class StoreFull(Exception):
    """Redis refused a write: maxmemory reached under `noeviction`. Nothing was changed."""


class FailureOutcome(Enum):
    COUNTED = "counted"
    LOCKED_NOW = "locked_now"
    LOCKED = "locked"
    GONE = "gone"
    # Redis is full: the guess was refused uncounted (nothing written).
    UNCOUNTED = "uncounted"


@dataclass(frozen=True)
class Failure:
    outcome: FailureOutcome
    locked_for_seconds: float


@dataclass(frozen=True)
class StoredSecret:
    raw: bytes
    record: SealedRecord
    # Seconds the asking client is still locked out of this secret.
    locked_for_seconds: float
    # Set when the secret was already claimed: the token of the call that claimed it.
    claimed_by: bytes | None = None


@dataclass(frozen=True)
class Claimed:
    """This call holds the secret: it won the claim, or repeats the call that won."""

    record: SealedRecord
    repeated: bool
