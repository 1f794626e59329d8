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


class InFlight:
    """The number RPC_IN_FLIGHT reports, read when /metrics is scraped: counting a call is an
    integer addition instead of a locked gauge update on the way in and out. Only the event
    loop's thread counts (grpc.aio runs every handler there)."""

    def __init__(self) -> None:
        self.count = 0


IN_FLIGHT = InFlight()
RPC_IN_FLIGHT.set_function(lambda: IN_FLIGHT.count)


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


class RpcMetrics:
    """The request, error and latency metrics of one method (keep.platform.served_rpcs keeps one
    per method). Its labelled children are looked up once, not per call: `labels()` converts
    the values, builds a key and takes the metric's lock every time."""

    def __init__(self, method: str):
        self._method = method
        self._latency = RPC_LATENCY.labels(method)
        # code -> (its request counter, its error counter or None for OK); at most 17 codes.
        self._by_code: dict[grpc.StatusCode, tuple[Counter, Counter | None]] = {}

    def observe(self, code: grpc.StatusCode, started: float) -> None:
        """Counts one finished call that started at `started` (time.perf_counter())."""
        self._latency.observe(time.perf_counter() - started)
        counters = self._by_code.get(code)
        if counters is None:
            errors = (
                None if code is grpc.StatusCode.OK else RPC_ERRORS.labels(self._method, code.name)
            )
            counters = self._by_code[code] = (RPC_REQUESTS.labels(self._method, code.name), errors)
        requests, errors = counters
        requests.inc()
        if errors is not None:
            errors.inc()
