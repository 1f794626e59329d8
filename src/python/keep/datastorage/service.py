"""The DataStorageService gRPC API: validation, the reveal protocol, and status codes."""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Awaitable
from typing import Any, NoReturn, TypeVar

import grpc
from google.protobuf.timestamp_pb2 import Timestamp
from prometheus_client import Counter

from keep.datastorage import crypto
from keep.datastorage.store import FailureOutcome, SecretStore, StoredSecret, StoreUnavailable
from keep.datastorage.v1 import datastorage_pb2 as pb
from keep.datastorage.v1 import datastorage_pb2_grpc as pb_grpc
from keep.platform.logs import redact_id

MIN_TTL_SECONDS = 60
MAX_TTL_SECONDS = 7 * 24 * 3600
MAX_PASSWORD_CHARS = 256
_CREATE_ATTEMPTS = 3  # id collisions at 128 bits do not happen; this only bounds the loop

NOT_FOUND_MESSAGE = "secret not found: it does not exist, has expired, or was already read"

log = logging.getLogger(__name__)
Context = grpc.aio.ServicerContext[Any, Any]
T = TypeVar("T")

SECRETS_CREATED = Counter("keep_secrets_created_total", "Secrets stored.")
SECRETS_REVEALED = Counter("keep_secrets_revealed_total", "Secrets revealed (and destroyed).")
SECRETS_BURNED = Counter("keep_secrets_burned_total", "Secrets destroyed unread.", ["reason"])
WRONG_PASSWORDS = Counter(
    "keep_secret_wrong_passwords_total", "Wrong passwords, by what they led to.", ["outcome"]
)


def _timestamp(ms: int) -> Timestamp:
    return Timestamp(seconds=ms // 1000, nanos=(ms % 1000) * 1_000_000)


async def _abort(context: Context, code: grpc.StatusCode, message: str) -> NoReturn:
    await context.abort(code, message)
    raise AssertionError("unreachable: abort raises")


class DataStorageService(pb_grpc.DataStorageServiceServicer):
    def __init__(self, store: SecretStore, max_payload_bytes: int, default_ttl_seconds: int):
        self._store = store
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
            secret_id, password = crypto.new_id(), crypto.new_password()
            record = crypto.seal(payload, secret_id, password, expires_at_ms)
            if await self._call(context, self._store.create(secret_id, record)):
                SECRETS_CREATED.inc()
                log.info("secret created", extra={"secret_id": redact_id(secret_id), "ttl": ttl})
                return pb.CreateSecretResponse(
                    id=secret_id, password=password, expires_at=_timestamp(expires_at_ms)
                )
        await _abort(context, grpc.StatusCode.INTERNAL, "could not allocate a secret id")

    async def RevealSecret(
        self, request: pb.RevealSecretRequest, context: Context
    ) -> pb.RevealSecretResponse:
        payload = await self._open_and_claim(request.id, request.password, context)
        SECRETS_REVEALED.inc()
        log.info("secret revealed", extra={"secret_id": redact_id(request.id)})
        return pb.RevealSecretResponse(payload=payload)

    async def BurnSecret(
        self, request: pb.BurnSecretRequest, context: Context
    ) -> pb.BurnSecretResponse:
        await self._open_and_claim(request.id, request.password, context)
        SECRETS_BURNED.labels("request").inc()
        log.info("secret burned", extra={"secret_id": redact_id(request.id)})
        return pb.BurnSecretResponse()

    async def GetSecretStatus(
        self, request: pb.GetSecretStatusRequest, context: Context
    ) -> pb.GetSecretStatusResponse:
        await self._check_id(request.id, context)
        stored = await self._call(context, self._store.get(request.id))
        if stored is None:
            return pb.GetSecretStatusResponse(exists=False)
        return pb.GetSecretStatusResponse(
            exists=True,
            expires_at=_timestamp(stored.record.expires_at_ms),
            locked=stored.locked_for_seconds > 0,
        )

    async def _open_and_claim(self, secret_id: str, password: str, context: Context) -> bytes:
        """Decrypt first, then claim atomically: a wrong password never consumes the secret,
        and among concurrent correct callers exactly one gets the payload."""
        await self._check_id(secret_id, context)
        if not password or len(password) > MAX_PASSWORD_CHARS:
            await _abort(
                context,
                grpc.StatusCode.INVALID_ARGUMENT,
                f"password must be 1 to {MAX_PASSWORD_CHARS} characters",
            )
        stored = await self._call(context, self._store.get(secret_id))
        if stored is None:
            await _abort(context, grpc.StatusCode.NOT_FOUND, NOT_FOUND_MESSAGE)
        await self._refuse_if_locked(stored, context)
        try:
            payload = crypto.unseal(stored.record, secret_id, password)
        except crypto.DecryptionFailed:
            await self._wrong_password(secret_id, context)
        if not await self._call(context, self._store.claim(secret_id, stored)):
            await _abort(context, grpc.StatusCode.NOT_FOUND, NOT_FOUND_MESSAGE)
        return payload

    async def _wrong_password(self, secret_id: str, context: Context) -> NoReturn:
        outcome = await self._call(context, self._store.record_failure(secret_id))
        WRONG_PASSWORDS.labels(outcome.value).inc()
        log.warning(
            "wrong password", extra={"secret_id": redact_id(secret_id), "outcome": outcome.value}
        )
        if outcome is FailureOutcome.BURNED:
            SECRETS_BURNED.labels("brute_force").inc()
        if outcome is FailureOutcome.GONE:
            await _abort(context, grpc.StatusCode.NOT_FOUND, NOT_FOUND_MESSAGE)
        await _abort(context, grpc.StatusCode.PERMISSION_DENIED, "wrong password")

    @staticmethod
    async def _refuse_if_locked(stored: StoredSecret, context: Context) -> None:
        if stored.locked_for_seconds > 0:
            retry_after = math.ceil(stored.locked_for_seconds)
            context.set_trailing_metadata((("retry-after", str(retry_after)),))
            await _abort(
                context,
                grpc.StatusCode.RESOURCE_EXHAUSTED,
                f"too many wrong passwords: this secret is locked, try again in {retry_after} s",
            )

    @staticmethod
    async def _check_id(secret_id: str, context: Context) -> None:
        if not crypto.is_valid_id(secret_id):
            await _abort(
                context,
                grpc.StatusCode.INVALID_ARGUMENT,
                f"malformed id: expected {crypto.ID_LENGTH} URL-safe base64 characters",
            )

    @staticmethod
    async def _call(context: Context, operation: Awaitable[T]) -> T:
        try:
            return await operation
        except StoreUnavailable:
            await _abort(
                context, grpc.StatusCode.UNAVAILABLE, "secret storage is unavailable, retry shortly"
            )
