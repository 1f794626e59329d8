"""Around every request: JSON errors, security headers, metrics and an access log line.

The access log never contains bodies, passwords, query strings or whole secret ids."""

from __future__ import annotations

import logging
import time

import grpc
from aiohttp import web
from aiohttp.typedefs import Handler

from keep.gateway import metrics
from keep.gateway.errors import ApiError, error_response, from_grpc, not_found
from keep.platform.logs import redact_id

access_log = logging.getLogger("keep.gateway.access")
log = logging.getLogger(__name__)

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
        "img-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}


def _route(request: web.Request) -> str:
    """The route template (e.g. /api/v1/secrets/{id}): bounded label values, no ids."""
    info = request.match_info
    resource = info.route.resource if info.http_exception is None else None
    return resource.canonical if resource is not None else "unmatched"


def _logged_path(request: web.Request) -> str:
    secret_id = request.match_info.get("id")
    path = request.path
    if secret_id:
        path = path.replace(secret_id, redact_id(secret_id))
    return path if len(path) <= 200 else path[:200] + "…"


@web.middleware
async def errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except ApiError as e:
        return error_response(e)
    except grpc.aio.AioRpcError as e:
        if e.code() not in (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.PERMISSION_DENIED):
            log.warning("data-storage call failed", extra={"grpc_code": e.code().name})
        return error_response(from_grpc(e))
    except web.HTTPNotFound:
        return error_response(not_found())
    except web.HTTPMethodNotAllowed as e:
        response = error_response(
            ApiError(405, "method_not_allowed", f"{request.method} is not allowed here.")
        )
        response.headers["Allow"] = ", ".join(sorted(e.allowed_methods))
        return response
    except web.HTTPRequestEntityTooLarge as e:
        return error_response(ApiError(413, "payload_too_large", e.text or "Too large."))


@web.middleware
async def observe(request: web.Request, handler: Handler) -> web.StreamResponse:
    started = time.perf_counter()
    status = 500
    try:
        response = await handler(request)
        status = response.status
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response
    finally:
        elapsed = time.perf_counter() - started
        route = _route(request)
        metrics.HTTP_REQUESTS.labels(route, request.method, str(status)).inc()
        metrics.HTTP_LATENCY.labels(route).observe(elapsed)
        access_log.info(
            "request",
            extra={
                "method": request.method,
                "path": _logged_path(request),
                "route": route,
                "status": status,
                "duration_ms": round(elapsed * 1000, 2),
                "remote": request.remote,
                "user_agent": request.headers.get("User-Agent", "")[:200],
            },
        )
