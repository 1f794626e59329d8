"""Reading request bodies with a size cap and a time limit, never more than the cap."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from aiohttp import web

from keep.gateway.errors import ApiError, too_large


async def read_body(request: web.Request, cap: int, timeout: float) -> bytes:
    """The body, or 413 as soon as it is known to exceed `cap` (from Content-Length, before
    reading anything), or 408 if it does not arrive within `timeout` seconds."""
    if request.content_length is not None and request.content_length > cap:
        raise too_large(request.content_length, cap)
    chunks: list[bytes] = []
    size = 0
    try:
        async with asyncio.timeout(timeout):
            while chunk := await request.content.read(min(65536, cap + 1)):
                size += len(chunk)
                if size > cap:
                    raise too_large(None, cap)
                chunks.append(chunk)
    except TimeoutError:
        raise ApiError(
            408, "request_timeout", f"The request body did not arrive within {timeout:g} seconds."
        ) from None
    return b"".join(chunks)


async def read_json_object(request: web.Request, cap: int, timeout: float) -> dict[str, Any]:
    raw = await read_body(request, cap, timeout)
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        data = None
    if not isinstance(data, dict):
        raise ApiError(400, "invalid_json", "The request body must be a JSON object.")
    return data


def string_field(data: dict[str, Any], name: str, max_length: int) -> str:
    value = data.get(name)
    if not isinstance(value, str) or not value:
        raise ApiError(
            400, "invalid_argument", f"`{name}` is required and must be a non-empty string."
        )
    if len(value) > max_length:
        raise ApiError(400, "invalid_argument", f"`{name}` is longer than {max_length} characters.")
    return value
