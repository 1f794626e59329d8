"""Tracing with OpenTelemetry: W3C trace context (`traceparent`) from the gateway through
datastorage and ratelimit, trace and span ids on every JSON log line written inside a span, and
spans exported over OTLP only when OTEL_EXPORTER_OTLP_ENDPOINT is set (off by default: nothing
leaves the process). The SDK's standard variables apply (OTEL_TRACES_SAMPLER, ...)."""

from __future__ import annotations

import logging
import os
from typing import Any

from opentelemetry import trace
from opentelemetry.instrumentation.grpc import aio_client_interceptors, aio_server_interceptor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter

OTLP_ENDPOINT_VARIABLE = "OTEL_EXPORTER_OTLP_ENDPOINT"


def configure_tracing(service: str, exporter: SpanExporter | None = None) -> TracerProvider:
    """The process-wide tracer provider; call once at start-up."""
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    if exporter is None and os.environ.get(OTLP_ENDPOINT_VARIABLE):
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

        exporter = OTLPSpanExporter()
    if exporter is not None:
        provider.add_span_processor(BatchSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    return provider


def server_interceptors() -> list[Any]:
    """Continues the caller's trace in a server span around each RPC."""
    return [aio_server_interceptor()]  # type: ignore[no-untyped-call]


def client_interceptors() -> list[Any]:
    """Starts a client span per call and sends its context as `traceparent` metadata."""
    return list(aio_client_interceptors())  # type: ignore[no-untyped-call]


class TraceIds(logging.Filter):
    """Adds `trace_id` and `span_id` (hex, as in `traceparent`) to records made inside a span."""

    def filter(self, record: logging.LogRecord) -> bool:
        context = trace.get_current_span().get_span_context()
        if context.is_valid:
            record.trace_id = format(context.trace_id, "032x")
            record.span_id = format(context.span_id, "016x")
        return True
