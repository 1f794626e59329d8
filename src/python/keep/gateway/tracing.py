"""A server span around every HTTP request, continuing the caller's W3C `traceparent` if it
sent one; the gRPC calls made while handling it (keep.platform.tracing) become its children."""

from __future__ import annotations

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware
from opentelemetry import propagate, trace
from opentelemetry.trace import SpanKind, Status, StatusCode

from keep.gateway.middleware import route_of


def trace_requests() -> Middleware:
    """The middleware; make it after tracing is configured (keep.platform.tracing), so that its
    tracer is the SDK's own and not the proxy that wraps every span in one more layer."""
    tracer = trace.get_tracer("keep.gateway")

    @web.middleware
    async def traced(request: web.Request, handler: Handler) -> web.StreamResponse:
        route = route_of(request)  # the template, never an id: span names stay bounded
        with tracer.start_as_current_span(
            f"{request.method} {route}",
            context=propagate.extract(request.headers),
            kind=SpanKind.SERVER,
            attributes={"http.request.method": request.method, "http.route": route},
        ) as span:
            response = await handler(request)
            span.set_attribute("http.response.status_code", response.status)
            if response.status >= 500:
                span.set_status(Status(StatusCode.ERROR))
            return response

    return traced
