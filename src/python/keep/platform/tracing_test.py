from __future__ import annotations

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import NonRecordingSpan, SpanContext, SpanKind, TraceFlags, TraceState

from keep.platform.tracing import SAMPLER_VARIABLE, SpanStarter, sampler_for

CALLER = SpanContext(
    trace_id=0x4BF92F3577B34DA6A3CE929D0E0E4736,
    span_id=0x00F067AA0BA902B7,
    is_remote=True,
    trace_flags=TraceFlags(TraceFlags.SAMPLED),
)


@pytest.fixture(autouse=True)
def no_sampler_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(SAMPLER_VARIABLE, raising=False)


def test_without_an_exporter_a_new_trace_is_not_recorded_but_has_ids() -> None:
    tracer = TracerProvider(sampler=sampler_for(None)).get_tracer("test")
    span = tracer.start_span("request")
    assert not span.is_recording()
    assert span.get_span_context().is_valid  # still on log lines and sent downstream


def test_without_an_exporter_a_trace_the_caller_sampled_is_recorded() -> None:
    tracer = TracerProvider(sampler=sampler_for(None)).get_tracer("test")
    span = tracer.start_span("request", context=trace.set_span_in_context(NonRecordingSpan(CALLER)))
    assert span.is_recording()
    assert span.get_span_context().trace_id == CALLER.trace_id


def test_with_an_exporter_or_a_chosen_sampler_the_sdk_decides(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert sampler_for(InMemorySpanExporter()) is None
    monkeypatch.setenv(SAMPLER_VARIABLE, "always_on")
    assert sampler_for(None) is None


@pytest.mark.parametrize(
    "parent",
    [
        None,  # a new trace
        SpanContext(CALLER.trace_id, CALLER.span_id, is_remote=True),  # the caller did not sample
        SpanContext(  # ... with trace state and a random trace id
            CALLER.trace_id,
            CALLER.span_id,
            is_remote=True,
            trace_flags=TraceFlags(TraceFlags.RANDOM_TRACE_ID),
            trace_state=TraceState([("vendor", "value")]),
        ),
        SpanContext(CALLER.trace_id, CALLER.span_id, is_remote=False),  # a local parent
        CALLER,  # sampled: the SDK records it
    ],
)
def test_the_span_starter_starts_the_spans_the_sdk_starts(parent: SpanContext | None) -> None:
    tracer = TracerProvider(sampler=sampler_for(None)).get_tracer("test")
    context = None if parent is None else trace.set_span_in_context(NonRecordingSpan(parent))
    ours = SpanStarter(tracer).start("request", context, SpanKind.SERVER, {"a": "b"})
    sdks = tracer.start_span(
        "request", context, SpanKind.SERVER, {"a": "b"},
        record_exception=False, set_status_on_exception=False,
    )  # fmt: skip
    assert type(ours) is type(sdks)
    assert ours.is_recording() is sdks.is_recording() is (parent is CALLER)
    mine, theirs = ours.get_span_context(), sdks.get_span_context()
    assert mine.is_valid and theirs.is_valid
    assert (mine.trace_flags, mine.trace_state, mine.is_remote) == (
        theirs.trace_flags, theirs.trace_state, theirs.is_remote,
    )  # fmt: skip
    if parent is not None:
        assert mine.trace_id == theirs.trace_id == parent.trace_id
    assert mine.span_id != theirs.span_id  # each its own new span id
