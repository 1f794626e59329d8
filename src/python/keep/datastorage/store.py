"""Secret records in Redis: atomic claim, brute-force counters, and a TTL on every key.

Keys of one secret share a hash tag (`{id}`) so the Lua scripts stay valid on Redis Cluster.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from enum import Enum

from redis.asyncio import Redis

from keep.datastorage.crypto import MalformedRecord, SealedRecord
from keep.platform.redis import UNAVAILABLE_ERRORS as _UNAVAILABLE
from keep.platform.redis import ping

# Returns 1 and deletes the secret with its counters only if it still holds exactly the record
# the caller decrypted: among concurrent correct reveals exactly one wins.
_CLAIM = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4])
  return 1
end
return 0
"""

# Counts a wrong password. Counters never outlive the secret; nothing is written for a secret
# that no longer exists, so no write can recreate a key without a TTL.
_RECORD_FAILURE = """
local ttl = redis.call('PTTL', KEYS[1])
if ttl <= 0 then return 'gone' end
local window_ms, lock_ms = tonumber(ARGV[1]), tonumber(ARGV[2])
local lock_threshold, burn_threshold = tonumber(ARGV[3]), tonumber(ARGV[4])
local in_window = redis.call('INCR', KEYS[2])
if in_window == 1 then redis.call('PEXPIRE', KEYS[2], math.min(window_ms, ttl)) end
local total = redis.call('INCR', KEYS[3])
redis.call('PEXPIRE', KEYS[3], ttl)
if total >= burn_threshold then
  redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4])
  return 'burned'
end
if in_window >= lock_threshold then
  redis.call('SET', KEYS[4], '1', 'PX', math.min(lock_ms, ttl))
  redis.call('DEL', KEYS[2])
  return 'locked'
end
return 'counted'
"""


class StoreUnavailable(Exception):
    """Redis did not answer in time; nothing was changed that the caller can observe."""


class FailureOutcome(Enum):
    COUNTED = "counted"
    LOCKED = "locked"
    BURNED = "burned"
    GONE = "gone"


@dataclass(frozen=True)
class LockoutPolicy:
    lock_threshold: int
    window_seconds: int
    lock_seconds: int
    burn_threshold: int


@dataclass(frozen=True)
class StoredSecret:
    raw: bytes
    record: SealedRecord
    locked_for_seconds: float


@dataclass(frozen=True)
class _Keys:
    secret: str
    failures_in_window: str
    failures_total: str
    lock: str

    @classmethod
    def of(cls, secret_id: str) -> _Keys:
        base = f"keep:{{{secret_id}}}"
        return cls(f"{base}:secret", f"{base}:fails", f"{base}:fails-total", f"{base}:lock")

    def all(self) -> list[str]:
        return [self.secret, self.failures_in_window, self.failures_total, self.lock]


class SecretStore:
    def __init__(self, redis: Redis, policy: LockoutPolicy, timeout_seconds: float):
        self._redis = redis
        self._timeout_seconds = timeout_seconds
        self._policy = policy
        self._claim = redis.register_script(_CLAIM)
        self._record_failure = redis.register_script(_RECORD_FAILURE)

    async def ping(self) -> bool:
        return await ping(self._redis, self._timeout_seconds)

    async def close(self) -> None:
        await self._redis.aclose()

    async def create(self, secret_id: str, record: SealedRecord) -> bool:
        """Stores a new record; False if the id is taken (the caller draws a new one)."""
        try:
            created = await self._redis.set(
                _Keys.of(secret_id).secret, record.to_bytes(), pxat=record.expires_at_ms, nx=True
            )
        except _UNAVAILABLE as e:
            raise StoreUnavailable() from e
        return bool(created)

    async def get(self, secret_id: str) -> StoredSecret | None:
        keys = _Keys.of(secret_id)
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                pipe.get(keys.secret)
                pipe.pttl(keys.lock)
                raw, lock_ms = await pipe.execute()
        except _UNAVAILABLE as e:
            raise StoreUnavailable() from e
        if raw is None:
            return None
        try:
            record = SealedRecord.from_bytes(raw)
        except MalformedRecord:
            return None
        if record.expires_at_ms <= time.time() * 1000:
            return None  # Redis expires it within milliseconds; never serve it meanwhile
        return StoredSecret(raw, record, max(lock_ms, 0) / 1000)

    async def claim(self, secret_id: str, stored: StoredSecret) -> bool:
        """Deletes the secret if it is still the one the caller saw; True for the one winner."""
        try:
            return bool(await self._claim(keys=_Keys.of(secret_id).all(), args=[stored.raw]))
        except _UNAVAILABLE as e:
            raise StoreUnavailable() from e

    async def record_failure(self, secret_id: str) -> FailureOutcome:
        policy = self._policy
        try:
            outcome = await self._record_failure(
                keys=_Keys.of(secret_id).all(),
                args=[
                    policy.window_seconds * 1000,
                    policy.lock_seconds * 1000,
                    policy.lock_threshold,
                    policy.burn_threshold,
                ],
            )
        except _UNAVAILABLE as e:
            raise StoreUnavailable() from e
        return FailureOutcome(outcome.decode() if isinstance(outcome, bytes) else outcome)
