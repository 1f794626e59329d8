"""Reading request bodies with a size cap and a time limit, never more than the cap."""

from __future__ import annotations

import asyncio

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
    except web.RequestPayloadError:
        # aiohttp decodes Content-Encoding and chunked framing while we read: a body that
        # does not decode (e.g. `Content-Encoding: gzip` on plain bytes) is the client's error.
        raise ApiError(
            400, "invalid_body", "The request body could not be decoded (Content-Encoding)."
        ) from None
    return b"".join(chunks)
