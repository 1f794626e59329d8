"""Secret records in Redis: idempotent claim, per-client brute-force counters, a TTL on every key.

Every operation is safe to repeat (see scripts.py), so this module, not the Redis client,
retries a call whose reply was lost: the repeat carries the same token and learns what the
first run did instead of doing it again.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from redis import exceptions as redis_errors
from redis.asyncio import Redis
from redis.commands.core import AsyncScript

from keep.datastorage import scripts
from keep.datastorage.crypto import MalformedRecord, SealedRecord
from keep.datastorage.outcomes import (
    Claimed,
    Failure,
    FailureOutcome,
    NotReplicated,
    StoredSecret,
    StoreFull,
    StoreUnavailable,
    TooLate,
)
from keep.platform.redis import UNAVAILABLE_ERRORS as _UNAVAILABLE
from keep.platform.redis import load_scripts, ping

T = TypeVar("T")

# Tries per operation; with the Redis timeout this bounds an RPC to a few timeouts.
ATTEMPTS = 3
# A reveal Redis runs this long after its caller's deadline does nothing (scripts.REVEAL). The
# deadline is on this host's clock, Redis compares with its own: this is the clock skew
# tolerated (NTP keeps GCP hosts within milliseconds); beyond it reveals fail closed.
LATE_REVEAL_GRACE_MS = 1000
# A caller without a deadline counts as gone after this long. Not the store's own tries: with a
# cluster, or a busy event loop, a command can reach Redis later than they suggest.
LATE_REVEAL_WITHOUT_DEADLINE_SECONDS = 30


@dataclass(frozen=True)
class LockoutPolicy:
    lock_threshold: int
    window_seconds: int
    lock_seconds: int
    # How long a read secret's tombstone lets the same call be repeated.
    tombstone_seconds: int = 120


@dataclass(frozen=True)
class Replication:
    """`replicas` > 0: a create or claim counts only once that many replicas have it (WAIT),
    so a failover cannot bring back a read secret or lose a handed-out one (see README)."""

    replicas: int = 0
    timeout_ms: int = 100


@dataclass(slots=True)  # not frozen: a frozen dataclass's __init__ is several times slower
class _Keys:
    secret: str
    tombstone: str
    failures: str
    lock: str
    verifier: str

    @classmethod
    def of(cls, secret_id: str, client: str) -> _Keys:
        base = f"keep:{{{secret_id}}}"
        return cls(f"{base}:secret", f"{base}:read", f"{base}:c:{client}:fails",
                   f"{base}:c:{client}:lock", f"{base}:verifier")  # fmt: skip


# Tokens are fixed-length so the tombstone `token .. record` splits without a separator.
TOKEN_BYTES = 16


class SecretStore:
    def __init__(
        self,
        redis: Redis,
        policy: LockoutPolicy,
        timeout_seconds: float,
        replication: Replication | None = None,
    ):
        self._redis = redis
        self._replication = replication or Replication()
        self._timeout_seconds = timeout_seconds
        self._policy = policy
        self._create = redis.register_script(scripts.CREATE)
        self._reveal = redis.register_script(scripts.REVEAL)
        self._claim = redis.register_script(scripts.CLAIM)
        self._record_failure = redis.register_script(scripts.RECORD_FAILURE)
        self._scripts_loaded = False
        # One load at a time: the first requests of a fresh replica arrive together, and
        # concurrent SCRIPT LOADs break redis-py's cluster connections (AttributeError).
        self._loading = asyncio.Lock()

    async def ping(self) -> bool:
        return await ping(self._redis, self._timeout_seconds)

    async def close(self) -> None:
        await self._redis.aclose()

    async def _load_scripts(self) -> None:
        async with self._loading:
            if not self._scripts_loaded:
                await load_scripts(self._redis, scripts.CREATE, scripts.REVEAL, scripts.CLAIM,
                                   scripts.RECORD_FAILURE)  # fmt: skip
                self._scripts_loaded = True

    async def create(self, secret_id: str, record: SealedRecord, verifier: bytes) -> bool:
        """Stores a new record and its claim verifier (crypto.claim_verifier); False if the id
        is taken (the caller draws a new one)."""
        keys = _Keys.of(secret_id, client="")
        args: list[bytes | int] = [record.to_bytes(), record.expires_at_ms, verifier]
        return bool(await self._run(self._create, [keys.secret, keys.verifier], args))

    async def reveal(
        self,
        secret_id: str,
        client: str,
        verifier: bytes,
        token: bytes,
        deadline_seconds: float | None = None,
    ) -> Claimed | StoredSecret | Failure | None:
        """The whole reveal in one Redis call (scripts.REVEAL), for the caller's password's
        claim verifier. Returns:
        - Claimed: the password matched and this call won the secret (or repeats the winner);
        - StoredSecret: a record stored without a verifier (written before verifiers existed),
          unclaimed: the caller decrypts it, then `claim`s it or `record_failure`s;
        - Failure: LOCKED if this client is locked out (the password was not checked), else
          the wrong password was counted (or not: UNCOUNTED when Redis is full);
        - None: unknown, expired, or already read.
        `deadline_seconds`: how long the caller waits (e.g. its gRPC deadline); Redis does
        nothing for a reveal that reaches it after that (TooLate)."""
        policy = self._policy
        keys = _Keys.of(secret_id, client)
        key_list = [keys.secret, keys.tombstone, keys.failures, keys.lock, keys.verifier]
        waits: float = LATE_REVEAL_WITHOUT_DEADLINE_SECONDS
        if deadline_seconds is not None:
            waits = deadline_seconds
        not_after_ms = int((time.time() + waits) * 1000) + LATE_REVEAL_GRACE_MS
        args: list[bytes | int] = [verifier, token, policy.tombstone_seconds * 1000,
                                   policy.window_seconds * 1000, policy.lock_seconds * 1000,
                                   policy.lock_threshold, not_after_ms]  # fmt: skip
        reply = await self._run(self._reveal, key_list, args, _holds_the_secret)
        outcome = _text(reply[0])
        if outcome == "late":
            raise TooLate()
        if outcome in ("claimed", "repeated", "unverified"):
            record = _unexpired(reply[1])
            if record is None:
                return None
            if outcome == "unverified":
                return StoredSecret(reply[1], record, locked_for_seconds=0)
            return Claimed(record, repeated=outcome == "repeated")
        if outcome == "gone":
            return None
        return Failure(FailureOutcome(outcome), int(reply[1]) / 1000)

    async def get(self, secret_id: str, client: str) -> StoredSecret | None:
        keys = _Keys.of(secret_id, client)

        async def read() -> list[bytes | int | None]:
            async with self._redis.pipeline(transaction=False) as pipe:
                pipe.get(keys.secret)
                pipe.pttl(keys.lock)
                pipe.get(keys.tombstone)
                return list(await pipe.execute())

        raw, lock_ms, tombstone = await _repeat(read)
        claimed_by = None
        if raw is None and isinstance(tombstone, bytes) and len(tombstone) > TOKEN_BYTES:
            claimed_by, raw = tombstone[:TOKEN_BYTES], tombstone[TOKEN_BYTES:]
        if not isinstance(raw, bytes):
            return None
        record = _unexpired(raw)
        if record is None:
            return None
        locked_ms = lock_ms if isinstance(lock_ms, int) else 0
        return StoredSecret(raw, record, max(locked_ms, 0) / 1000, claimed_by)

    async def claim(self, secret_id: str, client: str, stored: StoredSecret, token: bytes) -> bool:
        """Deletes the secret if it is still the one the caller saw; True for the one winner,
        and again for a repeat of the winning call (same token). For records `reveal` could not
        check (no verifier), after the caller decrypted them."""
        keys = _Keys.of(secret_id, client)
        args: list[bytes | int] = [stored.raw, token, self._policy.tombstone_seconds * 1000]
        key_list = [keys.secret, keys.tombstone, keys.failures, keys.lock]
        return bool(await self._run(self._claim, key_list, args))

    async def record_failure(self, secret_id: str, client: str, token: bytes) -> Failure:
        """Counts one wrong password of `client`, once per call `token`."""
        policy = self._policy
        keys = _Keys.of(secret_id, client)
        args: list[bytes | int] = [token, policy.window_seconds * 1000,
                                   policy.lock_seconds * 1000, policy.lock_threshold]  # fmt: skip
        key_list = [keys.secret, keys.failures, keys.lock]
        outcome, locked_ms = await self._run(self._record_failure, key_list, args, durable=False)
        return Failure(FailureOutcome(_text(outcome)), int(locked_ms) / 1000)

    async def _run(
        self,
        script: AsyncScript,
        keys: list[str],
        args: list[bytes | int],
        must_replicate: Callable[[Any], bool] = lambda _: True,
        durable: bool = True,
    ) -> Any:
        """Runs `script`, repeating it while its reply is lost (every script is safe to repeat);
        `durable`: WAITs for replicas if configured (see `_durably`)."""
        if not self._scripts_loaded:
            await _repeat(self._load_scripts)
        if durable and self._replication.replicas:
            return await _repeat(lambda: self._durably(script, keys, args, must_replicate))
        return await _repeat(lambda: self._evalsha(script, keys, args))

    async def _evalsha(self, script: AsyncScript, keys: list[str], args: list[bytes | int]) -> Any:
        """What `script(keys, args)` does, without redis-py's per-call isinstance check against
        its Pipeline (a typing.Protocol check: slower than the rest of the call)."""
        try:
            return await self._redis.evalsha(script.sha, len(keys), *keys, *args)
        except redis_errors.NoScriptError:
            await self._redis.script_load(script.script)  # first use, or after a Redis restart
            return await self._redis.evalsha(script.sha, len(keys), *keys, *args)

    async def _durably(
        self,
        script: AsyncScript,
        keys: list[str],
        args: list[bytes | int],
        must_replicate: Callable[[Any], bool],
    ) -> Any:
        """Runs `script` followed by WAIT on the same connection (WAIT covers that connection's
        writes), in one round trip. Fails closed (NotReplicated) when too few replicas
        confirmed a result that `must_replicate`."""
        wanted = self._replication.replicas
        for attempt in range(2):
            try:
                async with self._redis.pipeline(transaction=False) as pipe:
                    pipe.evalsha(script.sha, len(keys), *keys, *args)
                    pipe.execute_command("WAIT", wanted, self._replication.timeout_ms)
                    result, acknowledged = await pipe.execute()
                break
            except redis_errors.NoScriptError:
                if attempt:
                    raise
                await self._redis.script_load(script.script)  # after a Redis restart
        if int(acknowledged) < wanted and must_replicate(result):
            raise NotReplicated()
        return result


def _holds_the_secret(reply: list[Any]) -> bool:
    """A reveal's reply that hands out the payload: it must not leave before replicas have the
    delete. Wrong-password counts are not waited for (README, "Replication")."""
    return _text(reply[0]) in ("claimed", "repeated")


def _unexpired(raw: bytes) -> SealedRecord | None:
    try:
        record = SealedRecord.from_bytes(raw)
    except MalformedRecord:
        return None
    if record.expires_at_ms <= time.time() * 1000:
        return None  # Redis expires it within milliseconds; never serve it meanwhile
    return record


async def _repeat(operation: Callable[[], Awaitable[T]]) -> T:
    """Runs an idempotent Redis operation, repeating it when its reply did not arrive."""
    for attempt in range(ATTEMPTS):
        try:
            return await operation()
        except redis_errors.OutOfMemoryError as e:
            raise StoreFull() from e
        except _UNAVAILABLE as e:
            if attempt == ATTEMPTS - 1:
                raise StoreUnavailable() from e
    raise AssertionError("unreachable")


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
