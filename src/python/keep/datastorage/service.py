"""The DataStorageService gRPC API: validation, the reveal protocol, and status codes."""

from __future__ import annotations

import hashlib
import logging
import math
import os
import time
from collections.abc import Awaitable
from typing import Any, NoReturn, TypeVar

import grpc
from google.protobuf.timestamp_pb2 import Timestamp
from prometheus_client import Counter

from keep.datastorage import crypto
from keep.datastorage.clients import CLIENT_ADDRESS_METADATA, client_key, peer_address
from keep.datastorage.expiry_ledger import ExpiryLedger
from keep.datastorage.outcomes import (
    Claimed,
    Failure,
    FailureOutcome,
    StoredSecret,
    StoreFull,
    StoreUnavailable,
    TooLate,
)
from keep.datastorage.store import TOKEN_BYTES, SecretStore
from keep.datastorage.v1 import datastorage_pb2 as pb
from keep.datastorage.v1 import datastorage_pb2_grpc as pb_grpc
from keep.platform.logs import info_line, redact_id

MIN_TTL_SECONDS = 60
MAX_TTL_SECONDS = 7 * 24 * 3600
MAX_PASSWORD_CHARS = 256
_CREATE_ATTEMPTS = 3  # id collisions at 128 bits do not happen; this only bounds the loop

MAX_IDEMPOTENCY_KEY_CHARS = 64

NOT_FOUND_MESSAGE = "secret not found: it does not exist, has expired, or was already read"
UNAVAILABLE_MESSAGE = "secret storage is unavailable, retry shortly"
# A claim whose reply never came may or may not have happened (see README, "Unknown outcome").
UNKNOWN_OUTCOME_MESSAGE = (
    "secret storage did not confirm the reveal; repeat it with the same idempotency key"
)
# Trailing metadata saying which of several causes a status code has.
REASON_METADATA = "keep-reason"

log = logging.getLogger(__name__)
Context = grpc.aio.ServicerContext[Any, Any]
T = TypeVar("T")

SECRETS_CREATED = Counter("keep_secrets_created_total", "Secrets stored.")
SECRETS_REVEALED = Counter("keep_secrets_revealed_total", "Secrets revealed (and destroyed).")
SECRETS_BURNED = Counter("keep_secrets_burned_total", "Secrets destroyed unread.", ["reason"])
STORAGE_FULL = Counter("keep_storage_full_total", "Writes refused: Redis is out of memory.")
WRONG_PASSWORDS = Counter(
    "keep_secret_wrong_passwords_total", "Wrong passwords, by what they led to.", ["outcome"]
)
LOCKOUT_REFUSALS = Counter(
    "keep_secret_lockout_refusals_total", "Reveals and burns refused: the client is locked out."
)
# Zero series from the start, so rates and alerts see "none yet" rather than "no data".
for _outcome in ("counted", "locked_now", "locked", "gone", "uncounted"):
    WRONG_PASSWORDS.labels(_outcome)
SECRETS_BURNED.labels("request")


def _timestamp(ms: int) -> Timestamp:
    return Timestamp(seconds=ms // 1000, nanos=(ms % 1000) * 1_000_000)


async def _abort(
    context: Context,
    code: grpc.StatusCode,
    message: str,
    trailing_metadata: tuple[tuple[str, str], ...] = (),
) -> NoReturn:
    await context.abort(code, message, trailing_metadata)
    raise AssertionError("unreachable: abort raises")


class DataStorageService(pb_grpc.DataStorageServiceServicer):
    def __init__(
        self,
        store: SecretStore,
        max_payload_bytes: int,
        default_ttl_seconds: int,
        ledger: ExpiryLedger | None = None,
    ):
        self._store = store
        self._ledger = ledger
        self._max_payload_bytes = max_payload_bytes
        self._default_ttl_seconds = default_ttl_seconds

    async def CreateSecret(
        self, request: pb.CreateSecretRequest, context: Context
    ) -> pb.CreateSecretResponse:
        payload = request.payload
        if not payload:
            await _abort(context, grpc.StatusCode.INVALID_ARGUMENT, "payload is empty")
        if len(payload) > self._max_payload_bytes:
            await _abort(
                context,
                grpc.StatusCode.INVALID_ARGUMENT,
                f"payload is {len(payload)} bytes; the limit is {self._max_payload_bytes} bytes",
            )
        ttl = self._default_ttl_seconds
        if request.HasField("ttl"):
            ttl_exact = request.ttl.seconds + request.ttl.nanos / 1e9
            if not MIN_TTL_SECONDS <= ttl_exact <= MAX_TTL_SECONDS:
                await _abort(
                    context,
                    grpc.StatusCode.INVALID_ARGUMENT,
                    f"ttl must be between {MIN_TTL_SECONDS} s and {MAX_TTL_SECONDS} s (7 days)",
                )
            ttl = math.floor(ttl_exact)
        expires_at_ms = int(time.time() * 1000) + ttl * 1000
        for _ in range(_CREATE_ATTEMPTS):
            secret_id, password, record = crypto.new_secret(payload, expires_at_ms)
            verifier = crypto.claim_verifier(secret_id, password)
            if await self._call(context, self._store.create(secret_id, record, verifier)):
                SECRETS_CREATED.inc()
                if self._ledger is not None:
                    self._ledger.created(expires_at_ms)
                info_line(log, "secret created", {"secret_id": redact_id(secret_id), "ttl": ttl})
                return pb.CreateSecretResponse(
                    id=secret_id, password=password, expires_at=_timestamp(expires_at_ms)
                )
        await _abort(context, grpc.StatusCode.INTERNAL, "could not allocate a secret id")

    async def RevealSecret(
        self, request: pb.RevealSecretRequest, context: Context
    ) -> pb.RevealSecretResponse:
        payload, repeated = await self._open_and_claim(request, context)
        if not repeated:
            SECRETS_REVEALED.inc()
            info_line(log, "secret revealed", {"secret_id": redact_id(request.id)})
        return pb.RevealSecretResponse(payload=payload)

    async def BurnSecret(
        self, request: pb.BurnSecretRequest, context: Context
    ) -> pb.BurnSecretResponse:
        _, repeated = await self._open_and_claim(request, context)
        if not repeated:
            SECRETS_BURNED.labels("request").inc()
            info_line(log, "secret burned", {"secret_id": redact_id(request.id)})
        return pb.BurnSecretResponse()

    async def GetSecretStatus(
        self, request: pb.GetSecretStatusRequest, context: Context
    ) -> pb.GetSecretStatusResponse:
        await self._check_id(request.id, context)
        stored = await self._call(context, self._store.get(request.id, _client(context)))
        if stored is None or stored.claimed_by is not None:
            return pb.GetSecretStatusResponse(exists=False)
        return pb.GetSecretStatusResponse(
            exists=True,
            expires_at=_timestamp(stored.record.expires_at_ms),
            locked=stored.locked_for_seconds > 0,
        )

    async def _open_and_claim(
        self, request: pb.RevealSecretRequest | pb.BurnSecretRequest, context: Context
    ) -> tuple[bytes, bool]:
        """Check the password and claim in one atomic Redis call (by the claim verifier stored
        with the record): a wrong password never consumes the secret and is counted in the
        same call, and among concurrent correct callers exactly one gets the payload. Returns
        the payload and whether this call repeats one that already claimed the secret."""
        secret_id, password = request.id, request.password
        await self._check_id(secret_id, context)
        if not password or len(password) > MAX_PASSWORD_CHARS:
            await _abort(
                context,
                grpc.StatusCode.INVALID_ARGUMENT,
                f"password must be 1 to {MAX_PASSWORD_CHARS} characters",
            )
        if len(request.idempotency_key) > MAX_IDEMPOTENCY_KEY_CHARS:
            await _abort(
                context,
                grpc.StatusCode.INVALID_ARGUMENT,
                f"idempotency_key must be at most {MAX_IDEMPOTENCY_KEY_CHARS} characters",
            )
        client = _client(context)
        token = _call_token(client, request.idempotency_key, password)
        verifier = crypto.claim_verifier(secret_id, password)
        revealed = self._store.reveal(secret_id, client, verifier, token, context.time_remaining())
        # One call that may claim: a lost reply has an unknown outcome (README).
        outcome = await self._call(context, revealed, UNKNOWN_OUTCOME_MESSAGE)
        if isinstance(outcome, Claimed):
            try:
                payload = crypto.unseal(outcome.record, secret_id, password)
            except crypto.DecryptionFailed:
                # The verifier matched but the record does not open: it was altered in Redis
                # (a wrong password matches a verifier with probability 2^-128).
                log.error("record does not decrypt", extra={"secret_id": redact_id(secret_id)})
                await _abort(context, grpc.StatusCode.NOT_FOUND, NOT_FOUND_MESSAGE)
            if not outcome.repeated and self._ledger is not None:
                self._ledger.consumed(outcome.record.expires_at_ms)
            return payload, outcome.repeated
        if isinstance(outcome, StoredSecret):
            return await self._open_and_claim_unverified(
                secret_id, password, client, token, outcome, context
            )
        if isinstance(outcome, Failure):
            if outcome.outcome is FailureOutcome.LOCKED:
                await _locked(context, outcome.locked_for_seconds)
            await self._wrong_password(secret_id, outcome, context)
        await _abort(context, grpc.StatusCode.NOT_FOUND, NOT_FOUND_MESSAGE)

    async def _open_and_claim_unverified(
        self,
        secret_id: str,
        password: str,
        client: str,
        token: bytes,
        stored: StoredSecret,
        context: Context,
    ) -> tuple[bytes, bool]:
        """A record stored without a claim verifier (by a release before verifiers): decrypt
        first, then claim with a compare-and-delete of the exact record decrypted."""
        try:
            payload = crypto.unseal(stored.record, secret_id, password)
        except crypto.DecryptionFailed:
            await self._wrong_password(
                secret_id, await self._count_failure(secret_id, client, token, context), context
            )
        claimed = self._store.claim(secret_id, client, stored, token)
        if not await self._call(context, claimed, UNKNOWN_OUTCOME_MESSAGE):
            await _abort(context, grpc.StatusCode.NOT_FOUND, NOT_FOUND_MESSAGE)
        if self._ledger is not None:
            self._ledger.consumed(stored.record.expires_at_ms)
        return payload, False

    async def _count_failure(
        self, secret_id: str, client: str, token: bytes, context: Context
    ) -> Failure:
        try:
            return await self._store.record_failure(secret_id, client, token)
        except StoreUnavailable:
            await _abort(context, grpc.StatusCode.UNAVAILABLE, UNAVAILABLE_MESSAGE)
        except StoreFull:
            # Redis is full: the guess is refused uncounted (passwords are 128-bit random, so
            # uncounted guesses cost nothing; refusing would tell the guesser less than 403).
            return Failure(FailureOutcome.UNCOUNTED, 0)

    @staticmethod
    async def _wrong_password(secret_id: str, failure: Failure, context: Context) -> NoReturn:
        WRONG_PASSWORDS.labels(failure.outcome.value).inc()
        outcome = failure.outcome.value
        log.warning("wrong password", extra={"secret_id": redact_id(secret_id), "outcome": outcome})
        if failure.outcome is FailureOutcome.GONE:
            await _abort(context, grpc.StatusCode.NOT_FOUND, NOT_FOUND_MESSAGE)
        if failure.outcome is FailureOutcome.LOCKED:
            await _locked(context, failure.locked_for_seconds)
        await _abort(context, grpc.StatusCode.PERMISSION_DENIED, "wrong password")

    @staticmethod
    async def _check_id(secret_id: str, context: Context) -> None:
        if not crypto.is_valid_id(secret_id):
            await _abort(
                context,
                grpc.StatusCode.INVALID_ARGUMENT,
                f"malformed id: expected {crypto.ID_LENGTH} URL-safe base64 characters",
            )

    @staticmethod
    async def _call(
        context: Context,
        operation: Awaitable[T],
        unavailable: str = UNAVAILABLE_MESSAGE,
    ) -> T:
        try:
            return await operation
        except TooLate:
            # The caller is normally gone by then; one still waiting means clocks disagree.
            log.warning("reveal reached Redis after its deadline; nothing was done (is Redis's "
                        "clock more than LATE_REVEAL_GRACE_MS ahead of this host's?)")  # fmt: skip
            await _abort(context, grpc.StatusCode.UNAVAILABLE, unavailable)
        except StoreUnavailable:
            await _abort(context, grpc.StatusCode.UNAVAILABLE, unavailable)
        except StoreFull:
            STORAGE_FULL.inc()
            await _abort(
                context,
                grpc.StatusCode.RESOURCE_EXHAUSTED,
                "secret storage is full, retry later",
                ((REASON_METADATA, "storage_full"),),
            )


def _client(context: Context) -> str:
    """The client wrong guesses count against (see clients.py)."""
    for key, value in context.invocation_metadata() or ():
        if key == CLIENT_ADDRESS_METADATA:
            return client_key(str(value))
    return client_key(peer_address(context.peer()))


def _call_token(client: str, idempotency_key: str, password: str) -> bytes:
    """Identifies one call, or every repeat of it: the same key from the same client with the
    same password. The password is part of it because the key is the client's choice: a guesser
    reusing one key with different passwords makes different calls, each counted."""
    if not idempotency_key:
        return os.urandom(TOKEN_BYTES)  # what secrets.token_bytes returns
    digest = hashlib.sha256(f"{client}\0{idempotency_key}\0{password}".encode())
    return digest.digest()[:TOKEN_BYTES]


async def _locked(context: Context, seconds: float) -> NoReturn:
    LOCKOUT_REFUSALS.inc()
    retry_after = max(1, math.ceil(seconds))
    await _abort(
        context,
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        f"too many wrong passwords from you: try again in {retry_after} s",
        ((REASON_METADATA, "locked"), ("retry-after", str(retry_after))),
    )
