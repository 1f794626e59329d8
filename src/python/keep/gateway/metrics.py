"""The gateway's Prometheus metrics (served by keep.platform.metrics on METRICS_PORT)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

HTTP_REQUESTS = Counter(
    "keep_http_requests_total", "HTTP requests, by route, method and status.",
    ["route", "method", "status"],
)  # fmt: skip
HTTP_IN_FLIGHT = Gauge("keep_http_in_flight_requests", "HTTP requests being handled right now.")
# 0.5 is the latency SLO's threshold (deploy/monitoring/keep.rules.yaml): keep it a bucket.
HTTP_LATENCY = Histogram(
    "keep_http_request_latency_seconds",
    "HTTP request handling time.",
    ["route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0),
)
RATELIMIT_FAIL_OPEN = Counter(
    "keep_gateway_ratelimit_fail_open_total",
    "Requests let through because the rate limit service did not answer.",
    ["action", "reason"],
)
RATE_LIMITED = Counter(
    "keep_gateway_rate_limited_total", "Requests refused with 429 by the rate limit service.",
    ["action"],
)  # fmt: skip
