"""Tracing with OpenTelemetry: W3C trace context (`traceparent`) from the gateway through
datastorage and ratelimit, trace and span ids on every JSON log line written inside a span, and
spans exported over OTLP only when OTEL_EXPORTER_OTLP_ENDPOINT is set (off by default: nothing
leaves the process). The SDK's standard variables apply (OTEL_TRACES_SAMPLER, ...).

Without an exporter (and without OTEL_TRACES_SAMPLER) spans that start a trace are not
recorded: nothing would ever read them, and recording one (attributes, events, locks) cost the
gateway about a fifth of its CPU per request. Ids are made and propagated all the same, so log
lines still carry `trace_id`; a caller whose `traceparent` is sampled is still recorded."""

from __future__ import annotations

import logging
import os

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, ParentBased, Sampler

OTLP_ENDPOINT_VARIABLE = "OTEL_EXPORTER_OTLP_ENDPOINT"
SAMPLER_VARIABLE = "OTEL_TRACES_SAMPLER"


def configure_tracing(service: str, exporter: SpanExporter | None = None) -> TracerProvider:
    """The process-wide tracer provider; call once at start-up."""
    if exporter is None and os.environ.get(OTLP_ENDPOINT_VARIABLE):
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

        exporter = OTLPSpanExporter()
    provider = TracerProvider(
        resource=Resource.create({"service.name": service}), sampler=sampler_for(exporter)
    )
    if exporter is not None:
        provider.add_span_processor(BatchSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    return provider


def sampler_for(exporter: SpanExporter | None) -> Sampler | None:
    """None (the SDK's choice: OTEL_TRACES_SAMPLER, else record everything) when spans go
    somewhere or the sampler was chosen; else record only traces a caller sampled."""
    if exporter is None and not os.environ.get(SAMPLER_VARIABLE):
        return ParentBased(root=ALWAYS_OFF)
    return None


class TraceIds(logging.Filter):
    """Adds `trace_id` and `span_id` (hex, as in `traceparent`) to records made inside a span."""

    def filter(self, record: logging.LogRecord) -> bool:
        context = trace.get_current_span().get_span_context()
        if context.is_valid:
            record.trace_id = format(context.trace_id, "032x")
            record.span_id = format(context.span_id, "016x")
        return True
