"""data-storage configuration (environment variables, see keep.platform.settings)."""

from __future__ import annotations

from typing import Self

from pydantic import Field, RedisDsn, model_validator

from keep.platform.settings import ServiceSettings


class Settings(ServiceSettings):
    grpc_port: int = Field(default=50051, ge=0, le=65535)
    metrics_port: int = Field(default=9101, ge=0, le=65535)
    redis_url: RedisDsn = RedisDsn("redis://localhost:6379/0")
    # REDIS_URL names one node of a Redis Cluster (the keys of a secret share a hash tag).
    redis_cluster: bool = False
    # Every Redis call gives up after this long, so a dead Redis turns into UNAVAILABLE
    # well within a second instead of a hanging RPC.
    redis_timeout_seconds: float = Field(default=0.4, gt=0, le=5)
    max_payload_bytes: int = Field(default=64 * 1024, ge=1, le=1024 * 1024)
    default_ttl_seconds: int = Field(default=24 * 3600, ge=60, le=7 * 24 * 3600)
    # Per client and secret (see README, "Brute force"): LOCKOUT_THRESHOLD wrong passwords
    # within LOCKOUT_WINDOW_SECONDS lock that client out of that secret for LOCKOUT_SECONDS.
    lockout_threshold: int = Field(default=5, ge=1)
    lockout_window_seconds: int = Field(default=600, ge=1)
    lockout_seconds: int = Field(default=1800, ge=1)
    # Memorystore STANDARD_HA replicates asynchronously: with REDIS_WAIT_REPLICAS > 0 a create or
    # reveal succeeds only once that many replicas confirmed it within REDIS_WAIT_TIMEOUT_MS
    # (else UNAVAILABLE: fail closed). See README, "Replication". Not with REDIS_CLUSTER.
    redis_wait_replicas: int = Field(default=0, ge=0, le=5)
    redis_wait_timeout_ms: int = Field(default=100, ge=1, le=2000)
    # How long a read secret's tombstone lets the caller that read it repeat the same call
    # (same idempotency key) and get the payload again, e.g. after a lost reply.
    tombstone_seconds: int = Field(default=120, ge=1, le=3600)

    @model_validator(mode="after")
    def _wait_fits(self) -> Self:
        if self.redis_wait_replicas and self.redis_cluster:
            raise ValueError("REDIS_WAIT_REPLICAS is not supported with REDIS_CLUSTER")
        if self.redis_wait_timeout_ms >= self.redis_timeout_seconds * 1000:
            raise ValueError("REDIS_WAIT_TIMEOUT_MS must be below REDIS_TIMEOUT_SECONDS")
        return self
