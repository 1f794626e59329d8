"""ratelimit's configuration (env var = field name upper-cased)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from keep.platform.settings import ServiceSettings


class Settings(ServiceSettings):
    grpc_port: int = Field(default=50052, ge=0, le=65535)
    metrics_port: int = Field(default=9102, ge=0, le=65535)
    redis_url: str = "redis://localhost:6379/0"
    # REDIS_URL names one node of a Redis Cluster (keys are hash-tagged per descriptor).
    redis_cluster: bool = False
    # A limits YAML file or a directory of them; unset means the limits.yaml shipped here.
    ratelimit_config: Path | None = None
    # How often the files are re-read for changes (ConfigMap updates); 0 turns reloading off.
    ratelimit_reload_seconds: float = Field(default=5.0, ge=0, le=3600)
    # The reference's MERGE_DOMAIN_CONFIG: one domain may be split over several files.
    ratelimit_merge_domains: bool = False
    # The reference's LIMIT_RESPONSE_HEADERS_ENABLED: answer with response_headers_to_add.
    ratelimit_response_headers: bool = False
    ratelimit_header_limit: str = Field(default="x-ratelimit-limit", min_length=1)
    ratelimit_header_remaining: str = Field(default="x-ratelimit-remaining", min_length=1)
    ratelimit_header_reset: str = Field(default="x-ratelimit-reset", min_length=1)
    # The reference's SHADOW_MODE: count and report everything, refuse nothing (a dry run).
    ratelimit_global_shadow_mode: bool = False
    # Redis calls fail fast, so the caller (the gateway) can fail open quickly.
    redis_timeout_seconds: float = Field(default=0.5, gt=0, le=10)
