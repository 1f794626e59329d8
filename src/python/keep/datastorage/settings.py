"""data-storage configuration (environment variables, see keep.platform.settings)."""

from __future__ import annotations

from pydantic import Field, RedisDsn

from keep.platform.settings import ServiceSettings


class Settings(ServiceSettings):
    grpc_port: int = Field(default=50051, ge=0, le=65535)
    metrics_port: int = Field(default=9101, ge=0, le=65535)
    redis_url: RedisDsn = RedisDsn("redis://localhost:6379/0")
    # Every Redis call gives up after this long, so a dead Redis turns into UNAVAILABLE
    # well within a second instead of a hanging RPC.
    redis_timeout_seconds: float = Field(default=0.4, gt=0, le=5)
    max_payload_bytes: int = Field(default=64 * 1024, ge=1, le=1024 * 1024)
    default_ttl_seconds: int = Field(default=24 * 3600, ge=60, le=7 * 24 * 3600)
    # Brute-force protection: LOCKOUT_THRESHOLD wrong passwords within LOCKOUT_WINDOW_SECONDS
    # lock the id for LOCKOUT_SECONDS; BURN_THRESHOLD wrong passwords in total destroy it.
    lockout_threshold: int = Field(default=5, ge=1)
    lockout_window_seconds: int = Field(default=600, ge=1)
    lockout_seconds: int = Field(default=1800, ge=1)
    burn_threshold: int = Field(default=20, ge=1)
