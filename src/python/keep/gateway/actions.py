"""Create and reveal, shared by the curl contract and the JSON API: rate limit, then store."""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web

from keep.gateway.client_ip import client_address
from keep.gateway.errors import ApiError, rate_limited, too_large
from keep.gateway.models import MAX_TTL_SECONDS, MIN_TTL_SECONDS
from keep.gateway.state import gateway

MAX_PASSWORD_LENGTH = 256
# The ratelimit descriptor whose hits are the bytes a client stores (limits.yaml).
BYTES_ACTION = "create_bytes"
IDEMPOTENCY_HEADER = "Idempotency-Key"
# Printable ASCII only: the key goes into a protobuf string and is compared byte for byte.
_IDEMPOTENCY_KEY = re.compile(r"[\x21-\x7e]{1,64}")


def remote_address(request: web.Request) -> str:
    settings = gateway(request).settings
    return client_address(
        request.remote, request.headers.get("X-Forwarded-For"), settings.trusted_proxy_hops
    )


async def check_rate_limit(request: web.Request, action: str) -> None:
    decision = await gateway(request).ratelimiter.check(action, remote_address(request))
    if not decision.allowed:
        raise rate_limited(decision.retry_after_seconds)


async def check_create_limits(request: web.Request, size: int) -> None:
    """A create counts once against `create` and `size` times against `create_bytes`: the
    request limit alone would let one client store limit x MAX_PAYLOAD_BYTES per window."""
    requests, stored = await gateway(request).ratelimiter.check_each(
        remote_address(request), {"create": None, BYTES_ACTION: size}
    )
    if not requests.allowed:
        raise rate_limited(requests.retry_after_seconds)
    if not stored.allowed:
        raise ApiError(
            429,
            "rate_limited",
            "Your address has stored as many bytes of secrets as it may for now; try again in "
            f"{stored.retry_after_seconds} seconds.",
            {"Retry-After": str(stored.retry_after_seconds)},
        )


def check_ttl(ttl: object) -> int:
    if isinstance(ttl, bool) or not isinstance(ttl, int):
        raise ApiError(400, "invalid_argument", "`ttl_seconds` must be an integer.")
    if not MIN_TTL_SECONDS <= ttl <= MAX_TTL_SECONDS:
        raise ApiError(
            400,
            "invalid_argument",
            f"`ttl_seconds` must be between {MIN_TTL_SECONDS} and {MAX_TTL_SECONDS} "
            "(1 minute to 7 days).",
        )
    return ttl


def check_password(password: str) -> str:
    if not password:
        raise ApiError(400, "invalid_argument", "The password is required.")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise ApiError(403, "wrong_password", "Wrong password.")
    if not _is_utf8(password):
        # Header bytes that are not UTF-8 arrive as lone surrogates, which gRPC cannot send.
        raise ApiError(400, "invalid_argument", "The password must be UTF-8 text.")
    return password


def _is_utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


async def create(request: web.Request, payload: bytes, ttl_seconds: int) -> dict[str, Any]:
    gw = gateway(request)
    if not payload:
        raise ApiError(400, "empty_secret", "The secret is empty; send some text to keep.")
    if len(payload) > gw.settings.max_payload_bytes:
        raise too_large(len(payload), gw.settings.max_payload_bytes)
    await check_create_limits(request, len(payload))
    created = await gw.datastorage.create(payload, ttl_seconds)
    url = f"{gw.settings.public_url}/{created.id}"
    return {
        "id": created.id,
        "url": url,
        "password": created.password,
        # Opens the reveal page with the password in the fragment (never sent to the server).
        "share_url": f"{url}#{created.password}",
        "expires_at": created.expires_at.isoformat().replace("+00:00", "Z"),
    }


def idempotency_key(request: web.Request) -> str:
    """The client's `Idempotency-Key`: repeating a reveal or burn with the same key (after a
    503) returns what the first request did if it already took effect. Optional."""
    key = request.headers.get(IDEMPOTENCY_HEADER, "")
    if key and not _IDEMPOTENCY_KEY.fullmatch(key):
        raise ApiError(
            400,
            "invalid_argument",
            f"`{IDEMPOTENCY_HEADER}` must be 1 to 64 printable ASCII characters.",
        )
    return key


async def reveal(request: web.Request, secret_id: str, password: str) -> bytes:
    check_password(password)
    key = idempotency_key(request)
    await check_rate_limit(request, "reveal")
    return await gateway(request).datastorage.reveal(
        secret_id, password, remote_address(request), key
    )


async def burn(request: web.Request, secret_id: str, password: str) -> None:
    check_password(password)
    key = idempotency_key(request)
    await check_rate_limit(request, "reveal")
    await gateway(request).datastorage.burn(secret_id, password, remote_address(request), key)
