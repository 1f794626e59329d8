"""gateway's configuration (env var = field name upper-cased)."""

from __future__ import annotations

from pydantic import AliasChoices, Field, field_validator

from keep.platform.settings import ServiceSettings


class Settings(ServiceSettings):
    # Knative Serving names the port in $PORT; HTTP_PORT wins when both are set.
    http_port: int = Field(
        default=8080, ge=0, le=65535, validation_alias=AliasChoices("http_port", "port")
    )
    metrics_port: int = Field(default=9103, ge=0, le=65535)
    # Base of the links handed out, e.g. https://keep.example.com (no trailing slash needed).
    public_url: str = Field(default="http://localhost:8080", pattern=r"^https?://[^\s/]+(/\S*)?$")
    datastorage_address: str = "localhost:50051"
    ratelimit_address: str = "localhost:50052"
    # Through the Dapr sidecar (deploy/kustomize/components/dapr): datastorage and ratelimit are
    # called on localhost:DAPR_GRPC_PORT (the sidecar sets it) with `dapr-app-id` metadata, and
    # the two addresses above are unused.
    via_dapr: bool = False
    dapr_grpc_port: int = Field(default=50001, ge=1, le=65535)
    datastorage_app_id: str = "datastorage"
    ratelimit_app_id: str = "ratelimit"
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
