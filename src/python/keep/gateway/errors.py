"""Errors as JSON a person can act on, and the gRPC status -> HTTP status mapping."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import cast

import grpc
from aiohttp import web

# Used when data-storage locks a secret without saying for how long.
LOCKED_RETRY_AFTER_SECONDS = 60
UNAVAILABLE_RETRY_AFTER_SECONDS = 5
STORAGE_FULL_RETRY_AFTER_SECONDS = 60


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        headers: Mapping[str, str] | None = None,
    ):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = dict(headers or {})


def not_found() -> ApiError:
    return ApiError(
        404,
        "not_found",
        "No such secret: it never existed, has expired, or was already read or burned.",
    )


def too_large(size: int | None, cap: int) -> ApiError:
    got = f" ({size} bytes)" if size is not None else ""
    return ApiError(
        413, "payload_too_large", f"The request body is too large{got}; the limit is {cap} bytes."
    )


def rate_limited(retry_after: int) -> ApiError:
    return ApiError(
        429,
        "rate_limited",
        f"Too many requests from your address; try again in {retry_after} seconds.",
        {"Retry-After": str(retry_after)},
    )


def from_grpc(error: grpc.aio.AioRpcError) -> ApiError:
    code = error.code()
    if code is grpc.StatusCode.INVALID_ARGUMENT:
        return ApiError(400, "invalid_argument", error.details() or "Invalid request.")
    if code is grpc.StatusCode.NOT_FOUND:
        return not_found()
    if code is grpc.StatusCode.PERMISSION_DENIED:
        return ApiError(
            403,
            "wrong_password",
            "Wrong password. Check the password you were given; repeated wrong passwords lock "
            "you out of this secret for a while.",
        )
    if code is grpc.StatusCode.RESOURCE_EXHAUSTED and _is_message_size_limit(error):
        # gRPC's own cap on message size (data-storage's cap is below ours): not a lock.
        return ApiError(
            413, "payload_too_large", "The secret is larger than the secret store accepts."
        )
    if code is grpc.StatusCode.RESOURCE_EXHAUSTED and _trailer(error, "keep-reason") == (
        "storage_full"
    ):
        return ApiError(
            503,
            "storage_full",
            "The secret store is full and cannot keep new secrets right now; revealing existing "
            "secrets still works. Try again later.",
            {"Retry-After": str(STORAGE_FULL_RETRY_AFTER_SECONDS)},
        )
    if code is grpc.StatusCode.RESOURCE_EXHAUSTED:
        retry_after = _retry_after(error) or LOCKED_RETRY_AFTER_SECONDS
        return ApiError(
            429,
            "locked",
            "Too many wrong passwords from your address: you are locked out of this secret for "
            "a while (others are not). Try again later with the right password.",
            {"Retry-After": str(retry_after)},
        )
    if code is grpc.StatusCode.UNAVAILABLE:
        # For a reveal this may mean "outcome unknown": the secret is then still revealable,
        # and a repeat with the same Idempotency-Key returns it if this request claimed it.
        return ApiError(
            503,
            "unavailable",
            "The secret store is unavailable right now; try again in a few seconds (with the "
            "same Idempotency-Key header, if you sent one).",
            {"Retry-After": str(UNAVAILABLE_RETRY_AFTER_SECONDS)},
        )
    if code is grpc.StatusCode.DEADLINE_EXCEEDED:
        return ApiError(
            504, "timeout", "The secret store did not answer in time; try again in a moment."
        )
    return ApiError(502, "upstream_error", "The secret store failed unexpectedly; try again.")


def _is_message_size_limit(error: grpc.aio.AioRpcError) -> bool:
    """gRPC says "Received/Sent message larger than max (N vs. M)"; data-storage's own
    RESOURCE_EXHAUSTED always carries a `keep-reason` trailer."""
    return _trailer(error, "keep-reason") is None and "message larger than max" in (
        error.details() or ""
    )


def _trailer(error: grpc.aio.AioRpcError, name: str) -> str | None:
    metadata = cast(Sequence[tuple[str, str | bytes]], error.trailing_metadata() or ())
    for key, value in metadata:
        if key == name:
            return str(value)
    return None


def _retry_after(error: grpc.aio.AioRpcError) -> int | None:
    """data-storage puts the lock's remaining seconds in `retry-after` trailing metadata."""
    try:
        return max(1, int(_trailer(error, "retry-after") or ""))
    except ValueError:
        return None


def error_response(error: ApiError) -> web.Response:
    response = web.Response(
        status=error.status,
        text=json.dumps({"error": {"code": error.code, "message": error.message}}),
        content_type="application/json",
        headers=error.headers,
    )
    if error.status in (408, 413):
        # The rest of the body was never read: the connection cannot be reused.
        response.force_close()
    return response
