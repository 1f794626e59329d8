"""A server span around every HTTP request, continuing the caller's W3C `traceparent` if it
sent one; the gRPC calls made while handling it (keep.platform.tracing) become its children."""

from __future__ import annotations

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware
from opentelemetry import context as context_api
from opentelemetry import propagate, trace
from opentelemetry.trace import SpanKind, Status, StatusCode

from keep.gateway.middleware import route_of
from keep.platform.tracing import SpanStarter


def trace_requests() -> Middleware:
    """The middleware; make it after tracing is configured (keep.platform.tracing), so that its
    tracer is the SDK's own and not the proxy that forwards every call to it."""
    spans = SpanStarter(trace.get_tracer("keep.gateway"))

    @web.middleware
    async def traced(request: web.Request, handler: Handler) -> web.StreamResponse:
        route = route_of(request)  # the template, never an id: span names stay bounded
        # What tracer.start_as_current_span does, without its generator-based context managers
        # and, for the spans the sampler drops, without the SDK (SpanStarter).
        span = spans.start(
            f"{request.method} {route}",
            propagate.extract(request.headers),
            SpanKind.SERVER,
            {"http.request.method": request.method, "http.route": route},
        )
        token = context_api.attach(trace.set_span_in_context(span))
        try:
            response = await handler(request)
            if span.is_recording():
                span.set_attribute("http.response.status_code", response.status)
                if response.status >= 500:
                    span.set_status(Status(StatusCode.ERROR))
            return response
        except Exception as e:  # as start_as_current_span records one (errors catches most)
            if span.is_recording():
                span.record_exception(e)
                span.set_status(Status(StatusCode.ERROR, f"{type(e).__name__}: {e}"))
            raise
        finally:
            context_api.detach(token)
            span.end()

    return traced
