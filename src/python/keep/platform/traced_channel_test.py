"""TracedChannel against a real grpc.aio server that answers with the metadata it received."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import grpc
import pytest
import pytest_asyncio
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import NonRecordingSpan, SpanContext, SpanKind, StatusCode

from keep.platform.traced_channel import TracedChannel
from keep.platform.tracing import configure_tracing

EXPORTER = InMemorySpanExporter()


class MetadataEcho(grpc.GenericRpcHandler):  # type: ignore[type-arg]
    """/test.Echo/Metadata answers with its metadata as JSON; /test.Echo/Fail is NOT_FOUND."""

    def service(self, details: grpc.HandlerCallDetails) -> grpc.RpcMethodHandler[Any, Any]:
        async def answer(request: bytes, context: grpc.aio.ServicerContext[Any, Any]) -> bytes:
            if details.method.endswith("/Fail"):
                await context.abort(grpc.StatusCode.NOT_FOUND, "no such thing")
            return json.dumps(dict(context.invocation_metadata() or ())).encode()

        return grpc.unary_unary_rpc_method_handler(answer)


@pytest.fixture(scope="module", autouse=True)
def tracer_provider() -> TracerProvider:
    return configure_tracing("keep-tests", EXPORTER)  # every trace recorded


@pytest_asyncio.fixture
async def channel() -> AsyncIterator[TracedChannel]:
    server = grpc.aio.server()
    server.add_generic_rpc_handlers([MetadataEcho()])
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    EXPORTER.clear()
    inner = grpc.aio.insecure_channel(f"127.0.0.1:{port}")
    async with TracedChannel(inner, [("dapr-app-id", "datastorage")]) as traced:
        yield traced
    await server.stop(None)


def _client_span(provider: TracerProvider) -> ReadableSpan:
    provider.force_flush()
    (span,) = (s for s in EXPORTER.get_finished_spans() if s.kind is SpanKind.CLIENT)
    return span


async def test_a_call_runs_in_a_client_span_whose_context_is_sent(
    channel: TracedChannel, tracer_provider: TracerProvider
) -> None:
    call = channel.unary_unary("/test.Echo/Metadata")
    with trace.get_tracer("test").start_as_current_span("request") as parent:
        received = json.loads(await call(b"", metadata=[("keep-client-address", "10.0.0.1")]))
    span = _client_span(tracer_provider)
    assert span.name == "/test.Echo/Metadata"
    assert span.parent is not None and span.parent.span_id == parent.get_span_context().span_id
    assert dict(span.attributes or {}) == {
        "rpc.system": "grpc", "rpc.service": "test.Echo", "rpc.method": "Metadata",
        "rpc.grpc.status_code": 0,
    }  # fmt: skip
    trace_id, span_id = format(span.context.trace_id, "032x"), format(span.context.span_id, "016x")
    assert received["traceparent"].startswith(f"00-{trace_id}-{span_id}-")  # then the flags
    # The caller's own metadata and the channel's fixed metadata both arrive.
    assert received["keep-client-address"] == "10.0.0.1"
    assert received["dapr-app-id"] == "datastorage"


async def test_a_failed_call_marks_its_span_and_raises(
    channel: TracedChannel, tracer_provider: TracerProvider
) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await channel.unary_unary("/test.Echo/Fail")(b"", timeout=5)
    assert raised.value.code() is grpc.StatusCode.NOT_FOUND
    span = _client_span(tracer_provider)
    assert span.status.status_code is StatusCode.ERROR
    assert (span.attributes or {})["rpc.grpc.status_code"] == grpc.StatusCode.NOT_FOUND.value[0]


async def test_inside_an_unsampled_trace_a_call_sends_the_callers_context_without_a_span(
    channel: TracedChannel, tracer_provider: TracerProvider
) -> None:
    unsampled = NonRecordingSpan(
        SpanContext(0x4BF92F3577B34DA6A3CE929D0E0E4736, 0x00F067AA0BA902B7, is_remote=True)
    )
    call = channel.unary_unary("/test.Echo/Metadata")
    request_span = trace.get_tracer("test").start_as_current_span(
        "request", context=trace.set_span_in_context(unsampled)
    )
    with request_span as parent:
        assert parent.get_span_context().is_valid and not parent.is_recording()
        received = json.loads(await call(b""))
    tracer_provider.force_flush()
    assert not EXPORTER.get_finished_spans()  # nothing could have been recorded
    ids = parent.get_span_context()
    expected = f"00-{ids.trace_id:032x}-{ids.span_id:016x}-00"
    assert received["traceparent"] == expected
    assert received["dapr-app-id"] == "datastorage"
    # Outside any span a call still starts (and here records) a trace of its own.
    received = json.loads(await call(b""))
    span = _client_span(tracer_provider)
    assert span.parent is None
    assert received["traceparent"].split("-")[2] == f"{span.context.span_id:016x}"
