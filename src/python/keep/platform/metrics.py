"""Prometheus metrics: a per-RPC interceptor and the scrape endpoint on its own port."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any, cast

import grpc
from prometheus_client import Counter, Gauge, Histogram, start_http_server

RPC_REQUESTS = Counter(
    "keep_grpc_server_requests_total",
    "RPCs handled, by method and status code.",
    ["method", "code"],
)
RPC_ERRORS = Counter(
    "keep_grpc_server_errors_total", "RPCs that ended with a non-OK status.", ["method", "code"]
)
RPC_LATENCY = Histogram(
    "keep_grpc_server_latency_seconds",
    "RPC handling time.",
    ["method"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
)
RPC_IN_FLIGHT = Gauge("keep_grpc_server_in_flight_requests", "RPCs being handled right now.")


def start_metrics_server(port: int) -> None:
    """Serves /metrics on a separate port, so scraping never competes with the API port."""
    start_http_server(port)


def _status_of(context: grpc.aio.ServicerContext[Any, Any]) -> grpc.StatusCode:
    code = context.code()
    if code is None:
        return grpc.StatusCode.OK
    if isinstance(code, grpc.StatusCode):
        return code
    # grpc.aio reports codes set through abort() as plain integers.
    return next((c for c in grpc.StatusCode if c.value[0] == code), grpc.StatusCode.UNKNOWN)


def _observe(method: str, code: grpc.StatusCode, started: float) -> None:
    RPC_LATENCY.labels(method).observe(time.perf_counter() - started)
    RPC_REQUESTS.labels(method, code.name).inc()
    if code is not grpc.StatusCode.OK:
        RPC_ERRORS.labels(method, code.name).inc()


class MetricsInterceptor(grpc.aio.ServerInterceptor):  # type: ignore[misc,type-arg]
    """Counts and times every unary-unary RPC (all of Keep's APIs are unary)."""

    async def intercept_service(
        self,
        continuation: Callable[
            [grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler[Any, Any]]
        ],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler[Any, Any]:
        handler = await continuation(handler_call_details)
        if handler is None or handler.unary_unary is None:
            return handler  # streaming (e.g. health Watch) passes through uncounted
        method = handler_call_details.method
        # The stubs describe sync handlers; on an aio server the behavior is a coroutine.
        behavior = cast(Callable[..., Awaitable[Any]], handler.unary_unary)

        async def observed(request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> Any:
            started = time.perf_counter()
            try:
                with RPC_IN_FLIGHT.track_inprogress():
                    response = await behavior(request, context)
            except BaseException:
                code = _status_of(context)
                _observe(
                    method, grpc.StatusCode.UNKNOWN if code is grpc.StatusCode.OK else code, started
                )
                raise
            _observe(method, _status_of(context), started)
            return response

        return grpc.unary_unary_rpc_method_handler(
            observed,
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )
