"""Tracing with OpenTelemetry: W3C trace context (`traceparent`) from the gateway through
datastorage and ratelimit, trace and span ids on every JSON log line written inside a span, and
spans exported over OTLP only when OTEL_EXPORTER_OTLP_ENDPOINT is set (off by default: nothing
leaves the process). The SDK's standard variables apply (OTEL_TRACES_SAMPLER, ...).

Without an exporter (and without OTEL_TRACES_SAMPLER) spans that start a trace are not
recorded: nothing would ever read them, and recording one (attributes, events, locks) cost the
gateway about a fifth of its CPU per request. Ids are made and propagated all the same, so log
lines still carry `trace_id`; a caller whose `traceparent` is sampled is still recorded.
Servers make those unrecorded spans without the SDK (`SpanStarter`): every RPC starts one."""

from __future__ import annotations

import logging
import os

from opentelemetry import context as context_api
from opentelemetry import trace
from opentelemetry.sdk import trace as sdk_trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, ParentBased, Sampler
from opentelemetry.trace import NonRecordingSpan, SpanContext, SpanKind, TraceFlags
from opentelemetry.util.types import Attributes

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


class CallerSampled(ParentBased):
    """Records a span when its parent (the caller's, usually) was sampled, never a new trace.
    Its own class so that SpanStarter knows which spans it drops."""

    def __init__(self) -> None:
        super().__init__(root=ALWAYS_OFF)


def sampler_for(exporter: SpanExporter | None) -> Sampler | None:
    """None (the SDK's choice: OTEL_TRACES_SAMPLER, else record everything) when spans go
    somewhere or the sampler was chosen; else record only traces a caller sampled."""
    if exporter is None and not os.environ.get(SAMPLER_VARIABLE):
        return CallerSampled()
    return None


class SpanStarter:
    """`tracer.start_span`, except that under CallerSampled the spans it would drop are made
    here: the same NonRecordingSpan (a new span id; the parent's trace id, flags and trace
    state, or a new random trace id), without the SDK's sampler call, sampling result and
    checks, about half of what a server spent per RPC on tracing. Not done: the SDK's own span
    metrics (Keep sets no OpenTelemetry MeterProvider) and its per-tracer switch (unused)."""

    def __init__(self, tracer: trace.Tracer):
        self._tracer = tracer
        caller_sampled = isinstance(tracer, sdk_trace.Tracer) and isinstance(
            tracer.sampler, CallerSampled
        )
        self._ids = tracer.id_generator if caller_sampled else None  # type: ignore[attr-defined]

    def start(
        self,
        name: str,
        context: context_api.Context | None,
        kind: SpanKind,
        attributes: Attributes,
    ) -> trace.Span:
        """A span as `tracer.start_span(name, context, kind, attributes,
        record_exception=False, set_status_on_exception=False)` starts it."""
        ids = self._ids
        if ids is not None:
            parent = trace.get_current_span(context).get_span_context()
            if not parent.is_valid:
                return NonRecordingSpan(
                    SpanContext(
                        ids.generate_trace_id(),
                        ids.generate_span_id(),
                        is_remote=False,
                        trace_flags=_UNSAMPLED_RANDOM if ids.is_trace_id_random() else _UNSAMPLED,
                    )
                )
            if not parent.trace_flags.sampled:
                return NonRecordingSpan(
                    SpanContext(
                        parent.trace_id,
                        ids.generate_span_id(),
                        is_remote=False,
                        trace_flags=(
                            _UNSAMPLED_RANDOM if parent.trace_flags.random_trace_id else _UNSAMPLED
                        ),
                        trace_state=parent.trace_state,
                    )
                )
        return self._tracer.start_span(
            name,
            context=context,
            kind=kind,
            attributes=attributes,
            record_exception=False,
            set_status_on_exception=False,
        )


_UNSAMPLED = TraceFlags(TraceFlags.DEFAULT)
_UNSAMPLED_RANDOM = TraceFlags(TraceFlags.DEFAULT | TraceFlags.RANDOM_TRACE_ID)


class TraceIds(logging.Filter):
    """Adds `trace_id` and `span_id` (hex, as in `traceparent`) to records made inside a span."""

    def filter(self, record: logging.LogRecord) -> bool:
        ids = current_trace_ids()
        if ids is not None:
            record.trace_id, record.span_id = ids
        return True


def current_trace_ids() -> tuple[str, str] | None:
    """The current span's trace and span ids as TraceIds writes them; None outside a span."""
    context = trace.get_current_span().get_span_context()
    if not context.is_valid:
        return None
    return f"{context.trace_id:032x}", f"{context.span_id:016x}"  # f-strings: less than format()
