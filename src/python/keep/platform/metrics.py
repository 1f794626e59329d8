"""Prometheus metrics of every RPC (recorded by keep.platform.served_rpcs) and the scrape
endpoint on its own port."""

from __future__ import annotations

import time
from typing import Any

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


def status_of(context: grpc.aio.ServicerContext[Any, Any]) -> grpc.StatusCode:
    code = context.code()
    if code is None:
        return grpc.StatusCode.OK
    if isinstance(code, grpc.StatusCode):
        return code
    # grpc.aio reports codes set through abort() as plain integers.
    return next((c for c in grpc.StatusCode if c.value[0] == code), grpc.StatusCode.UNKNOWN)


def observe_rpc(method: str, code: grpc.StatusCode, started: float) -> None:
    """Counts one finished RPC (keep.platform.served_rpcs calls it for every unary RPC)."""
    RPC_LATENCY.labels(method).observe(time.perf_counter() - started)
    RPC_REQUESTS.labels(method, code.name).inc()
    if code is not grpc.StatusCode.OK:
        RPC_ERRORS.labels(method, code.name).inc()
