"""gateway's configuration (env var = field name upper-cased)."""

from __future__ import annotations

from pydantic import Field, field_validator

from keep.platform.settings import ServiceSettings


class Settings(ServiceSettings):
    http_port: int = Field(default=8080, ge=0, le=65535)
    metrics_port: int = Field(default=9103, ge=0, le=65535)
    # Base of the links handed out, e.g. https://keep.example.com (no trailing slash needed).
    public_url: str = Field(default="http://localhost:8080", pattern=r"^https?://[^\s/]+(/\S*)?$")
    datastorage_address: str = "localhost:50051"
    ratelimit_address: str = "localhost:50052"
    # Largest secret, in bytes (the same cap data-storage enforces).
    max_payload_bytes: int = Field(default=65536, ge=1, le=16 * 1024 * 1024)
    # How many X-Forwarded-For entries, counted from the right, were added by proxies we trust.
    # 0: use the TCP peer address and ignore the header (see README).
    trusted_proxy_hops: int = Field(default=0, ge=0, le=10)
    datastorage_timeout_seconds: float = Field(default=3.0, gt=0, le=60)
    # Short on purpose: when ratelimit is slow or down, requests go through (fail open).
    ratelimit_timeout_seconds: float = Field(default=0.25, gt=0, le=10)
    ratelimit_domain: str = "keep"
    # A request body must arrive within this time (slow-client protection).
    body_timeout_seconds: float = Field(default=10.0, gt=0, le=300)
    default_ttl_seconds: int = Field(default=86400, ge=60, le=604800)

    @field_validator("public_url")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")
