"""Around every request: JSON errors, the cross-site guard, metrics and an access log line
(security headers are added to every response by security.add_headers_to_every_response).

The access log never contains bodies, passwords, query strings or whole secret ids."""

from __future__ import annotations

import logging
import time

import grpc
from aiohttp import web
from aiohttp.typedefs import Handler

from keep.gateway import metrics
from keep.gateway.errors import ApiError, error_response, from_grpc, not_found
from keep.gateway.security import refuse_cross_site
from keep.gateway.state import SETTINGS
from keep.platform.logs import info_line, redact_id

access_log = logging.getLogger("keep.gateway.access")
log = logging.getLogger(__name__)

# Methods that read nothing: never refused as cross-site (links and page loads must work).
_SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
# Metric label values: any other method (clients may send any token) is counted as "other",
# so a client cannot create unbounded time series.
_KNOWN_METHODS = {"GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE"}


def method_label(method: str) -> str:
    return method if method in _KNOWN_METHODS else "other"


def route_of(request: web.Request) -> str:
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
        if request.method not in _SAFE_METHODS:
            refuse_cross_site(request, request.app[SETTINGS].public_url)
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
    except web.HTTPException as e:
        # Any other answer aiohttp raises itself (e.g. a malformed request it parsed lazily).
        return error_response(ApiError(e.status, _code(e.reason), e.reason))
    except Exception:
        # A bug, never the client's fault: logged with its traceback, answered as JSON.
        log.exception("unhandled error", extra={"route": route_of(request)})
        return error_response(
            ApiError(500, "internal_error", "Something went wrong on our side; try again.")
        )


def _code(reason: str) -> str:
    return "_".join(reason.lower().split()) or "error"


@web.middleware
async def observe(request: web.Request, handler: Handler) -> web.StreamResponse:
    started = time.perf_counter()
    status = 500
    metrics.HTTP_IN_FLIGHT.inc()
    try:
        response = await handler(request)
        status = response.status
        return response
    finally:
        metrics.HTTP_IN_FLIGHT.dec()
        elapsed = time.perf_counter() - started
        route = route_of(request)
        metrics.HTTP_REQUESTS.labels(route, method_label(request.method), str(status)).inc()
        metrics.HTTP_LATENCY.labels(route).observe(elapsed)
        if access_log.isEnabledFor(logging.INFO):  # fields only for a line that is written
            # The line access_log.info(..., extra=fields) writes, at a fraction of its CPU.
            info_line(
                access_log,
                "request",
                {
                    "method": request.method[:20],
                    "path": _logged_path(request),
                    "route": route,
                    "status": status,
                    "duration_ms": round(elapsed * 1000, 2),
                    "remote": request.remote,
                    "user_agent": request.headers.get("User-Agent", "")[:200],
                },
            )
