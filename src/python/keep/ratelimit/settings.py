"""ratelimit's configuration (env var = field name upper-cased)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from keep.platform.settings import ServiceSettings


class Settings(ServiceSettings):
    grpc_port: int = Field(default=50052, ge=0, le=65535)
    metrics_port: int = Field(default=9102, ge=0, le=65535)
    redis_url: str = "redis://localhost:6379/0"
    # Path to the limits YAML; unset means the limits.yaml shipped in this package.
    ratelimit_config: Path | None = None
    # Redis calls fail fast, so the caller (the gateway) can fail open quickly.
    redis_timeout_seconds: float = Field(default=0.5, gt=0, le=10)
