"""ServedRpcs on a real grpc.aio server: a SERVER span per unary RPC continuing the caller's
trace, the handler running inside it, and the request, error and latency metrics."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import grpc
import pytest
import pytest_asyncio
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode
from prometheus_client import REGISTRY

from keep.platform.served_rpcs import ServedRpcs
from keep.platform.tracing import configure_tracing, sampler_for

EXPORTER = InMemorySpanExporter()
CALLER_TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
CALLER_SPAN_ID = "00f067aa0ba902b7"
TRACEPARENT = (("traceparent", f"00-{CALLER_TRACE_ID}-{CALLER_SPAN_ID}-01"),)
Context = grpc.aio.ServicerContext[Any, Any]


async def _current_span_id(request: bytes, context: Context) -> bytes:
    return format(trace.get_current_span().get_span_context().span_id, "016x").encode()


async def _not_found(request: bytes, context: Context) -> bytes:
    await context.abort(grpc.StatusCode.NOT_FOUND, "no such thing")
    raise AssertionError("unreachable")


async def _unavailable(request: bytes, context: Context) -> bytes:
    await context.abort(grpc.StatusCode.UNAVAILABLE, "try later")
    raise AssertionError("unreachable")


async def _crash(request: bytes, context: Context) -> bytes:
    raise RuntimeError("bug")


async def _in_flight(request: bytes, context: Context) -> bytes:
    return str(REGISTRY.get_sample_value("keep_grpc_server_in_flight_requests")).encode()


@pytest.fixture(scope="module", autouse=True)
def tracer_provider() -> TracerProvider:
    return configure_tracing("keep-tests", EXPORTER)  # every trace recorded


@pytest_asyncio.fixture
async def channel() -> AsyncIterator[grpc.aio.Channel]:
    server = grpc.aio.server(interceptors=[ServedRpcs()])
    handlers = {
        name: grpc.unary_unary_rpc_method_handler(behavior)
        for name, behavior in [("Span", _current_span_id), ("NotFound", _not_found),
                               ("Unavailable", _unavailable), ("Crash", _crash),
                               ("InFlight", _in_flight)]
    }  # fmt: skip
    server.add_generic_rpc_handlers([grpc.method_handlers_generic_handler("test.Served", handlers)])
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    EXPORTER.clear()
    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
        yield channel
    await server.stop(None)


def _server_span(provider: TracerProvider) -> ReadableSpan:
    provider.force_flush()
    (span,) = (s for s in EXPORTER.get_finished_spans() if s.kind is SpanKind.SERVER)
    EXPORTER.clear()
    return span


def _count(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_a_call_runs_in_a_server_span_continuing_the_callers_trace(
    channel: grpc.aio.Channel, tracer_provider: TracerProvider
) -> None:
    method = "/test.Served/Span"
    before = _count("keep_grpc_server_requests_total", method=method, code="OK")
    latency_before = _count("keep_grpc_server_latency_seconds_count", method=method)
    for _ in range(2):  # the handler is wrapped once; the second call is observed the same
        inside = await channel.unary_unary(method, None, None)(b"", metadata=TRACEPARENT, timeout=5)
        span = _server_span(tracer_provider)
        assert span.name == method
        assert format(span.context.trace_id, "032x") == CALLER_TRACE_ID
        assert span.parent is not None and format(span.parent.span_id, "016x") == CALLER_SPAN_ID
        assert inside.decode() == format(span.context.span_id, "016x")  # the handler ran in it
        assert dict(span.attributes or {}) == {
            "rpc.system": "grpc", "rpc.service": "test.Served", "rpc.method": "Span",
            "rpc.grpc.status_code": 0,
        }  # fmt: skip
        assert span.status.status_code is StatusCode.UNSET
    assert _count("keep_grpc_server_requests_total", method=method, code="OK") == before + 2
    assert _count("keep_grpc_server_latency_seconds_count", method=method) == latency_before + 2


async def test_the_in_flight_gauge_counts_calls_being_handled(
    channel: grpc.aio.Channel, tracer_provider: TracerProvider
) -> None:
    inside = await channel.unary_unary("/test.Served/InFlight", None, None)(b"", timeout=5)
    assert float(inside) == 1.0
    assert REGISTRY.get_sample_value("keep_grpc_server_in_flight_requests") == 0.0
    with pytest.raises(grpc.aio.AioRpcError):
        await channel.unary_unary("/test.Served/Crash", None, None)(b"", timeout=5)
    assert REGISTRY.get_sample_value("keep_grpc_server_in_flight_requests") == 0.0
    tracer_provider.force_flush()
    EXPORTER.clear()  # the two calls' spans, not the next test's


@pytest.mark.parametrize(
    ("name", "code", "server_error"),
    [
        ("NotFound", grpc.StatusCode.NOT_FOUND, False),  # the caller's mistake
        ("Unavailable", grpc.StatusCode.UNAVAILABLE, True),
        ("Crash", grpc.StatusCode.UNKNOWN, True),
    ],
)
async def test_failed_calls_are_counted_and_server_errors_mark_the_span(
    channel: grpc.aio.Channel,
    tracer_provider: TracerProvider,
    name: str,
    code: grpc.StatusCode,
    server_error: bool,
) -> None:
    method = f"/test.Served/{name}"
    before = _count("keep_grpc_server_errors_total", method=method, code=code.name)
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await channel.unary_unary(method, None, None)(b"", timeout=5)
    assert raised.value.code() is code
    span = _server_span(tracer_provider)
    assert (span.attributes or {})["rpc.grpc.status_code"] == code.value[0]
    assert span.status.status_code is (StatusCode.ERROR if server_error else StatusCode.UNSET)
    assert bool(span.events) is (name == "Crash")  # an unexpected exception is recorded
    assert _count("keep_grpc_server_errors_total", method=method, code=code.name) == before + 1


async def _trace_and_recording(request: bytes, context: Context) -> bytes:
    span = trace.get_current_span()
    return f"{span.get_span_context().trace_id:032x} {span.is_recording()}".encode()


@pytest_asyncio.fixture
async def unexported() -> AsyncIterator[tuple[grpc.aio.Channel, InMemorySpanExporter]]:
    """A server traced as services trace without an exporter (sampler_for(None)); the
    exporter here only shows which spans would have been recorded."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider(sampler=sampler_for(None))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    server = grpc.aio.server(interceptors=[ServedRpcs(provider)])
    handlers = {"Trace": grpc.unary_unary_rpc_method_handler(_trace_and_recording)}
    server.add_generic_rpc_handlers([grpc.method_handlers_generic_handler("test.Served", handlers)])
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
        yield channel, exporter
    await server.stop(None)


@pytest.mark.parametrize(
    ("metadata", "continues", "recorded"),
    [
        ((), False, False),  # a new trace nobody sampled: ids only
        ((("traceparent", f"00-{CALLER_TRACE_ID}-{CALLER_SPAN_ID}-00"),), True, False),
        (TRACEPARENT, True, True),  # the caller sampled it: recorded as before
        ((("baggage", "k=v"), ("user-agent", "test")), False, False),  # no traceparent
    ],
)
async def test_without_an_exporter_every_call_has_trace_ids_and_only_sampled_ones_are_recorded(
    unexported: tuple[grpc.aio.Channel, InMemorySpanExporter],
    metadata: tuple[tuple[str, str], ...],
    continues: bool,
    recorded: bool,
) -> None:
    channel, exporter = unexported
    method = "/test.Served/Trace"
    before = _count("keep_grpc_server_requests_total", method=method, code="OK")
    trace_ids = set()
    for _ in range(2):
        answer = await channel.unary_unary(method, None, None)(b"", metadata=metadata, timeout=5)
        trace_id, recording = answer.decode().split()
        assert int(trace_id, 16) != 0  # log lines and downstream calls get this trace id
        assert (trace_id == CALLER_TRACE_ID) is continues
        assert recording == str(recorded)
        trace_ids.add(trace_id)
    assert len(trace_ids) == (1 if continues else 2)  # a new trace per call otherwise
    spans = exporter.get_finished_spans()
    assert len(spans) == (2 if recorded else 0)
    if recorded:
        assert {format(s.context.trace_id, "032x") for s in spans} == {CALLER_TRACE_ID}
        assert dict(spans[0].attributes or {})["rpc.grpc.status_code"] == 0
    assert _count("keep_grpc_server_requests_total", method=method, code="OK") == before + 2
