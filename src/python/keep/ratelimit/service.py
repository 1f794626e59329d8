"""envoy.service.ratelimit.v3.RateLimitService: match descriptors to limits, count, decide."""

from __future__ import annotations

import logging
from typing import Any

import grpc
from envoy.service.ratelimit.v3 import rls_pb2, rls_pb2_grpc
from google.protobuf.duration_pb2 import Duration
from prometheus_client import Counter

from keep.ratelimit.config import LimitsConfig, MatchedLimit, RateLimit, find_limit
from keep.ratelimit.counter import CounterUnavailable, RedisCounter, Window

SERVICE_NAME = rls_pb2.DESCRIPTOR.services_by_name["RateLimitService"].full_name

DECISIONS = Counter(
    "keep_ratelimit_descriptors_total",
    "Descriptors checked, by matched rule and outcome (OK, OVER_LIMIT, NO_LIMIT).",
    ["rule", "code"],
)

log = logging.getLogger(__name__)

Response = rls_pb2.RateLimitResponse
_OK = Response.Code.OK
_OVER = Response.Code.OVER_LIMIT


def _limit_message(matched: MatchedLimit) -> Response.RateLimit:
    limit: RateLimit = matched.limit
    return Response.RateLimit(
        name=limit.name or matched.rule,
        requests_per_unit=limit.requests_per_unit,
        unit=Response.RateLimit.Unit.Value(limit.unit.name),
    )


class RateLimitServicer(rls_pb2_grpc.RateLimitServiceServicer):
    def __init__(self, config: LimitsConfig, counter: RedisCounter):
        self._config = config
        self._counter = counter

    async def ShouldRateLimit(
        self, request: rls_pb2.RateLimitRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> rls_pb2.RateLimitResponse:
        if not request.domain:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "domain must not be empty")
        if not request.descriptors:
            await context.abort(
                grpc.StatusCode.INVALID_ARGUMENT, "at least one descriptor is required"
            )
        entries = [tuple((e.key, e.value) for e in d.entries) for d in request.descriptors]
        if request.domain == self._config.domain:
            matches = [find_limit(self._config, e) for e in entries]
        else:
            matches = [None] * len(entries)  # unknown domains are not limited (as in Envoy)
        counted = [i for i, m in enumerate(matches) if m is not None and not m.limit.unlimited]
        windows = [
            Window(request.domain, entries[i], _matched(matches[i]).limit.unit.seconds)
            for i in counted
        ]
        try:
            counts = await self._counter.hit(windows, request.hits_addend or 1)
        except CounterUnavailable as e:
            log.warning("redis unavailable", extra={"error": str(e)})
            await context.abort(grpc.StatusCode.UNAVAILABLE, "rate limit store unavailable")
        statuses = [Response.DescriptorStatus(code=_OK) for _ in entries]
        for i, count in zip(counted, counts, strict=True):
            matched = _matched(matches[i])
            allowed = matched.limit.requests_per_unit
            status = statuses[i]
            status.code = _OK if count.count <= allowed else _OVER
            status.current_limit.CopyFrom(_limit_message(matched))
            status.limit_remaining = max(0, allowed - count.count)
            status.duration_until_reset.CopyFrom(_duration(count.seconds_until_reset))
        for match, status in zip(matches, statuses, strict=True):
            rule = match.rule if match is not None else "none"
            code = Response.Code.Name(status.code) if match is not None else "NO_LIMIT"
            DECISIONS.labels(rule, code).inc()
        overall = _OVER if any(s.code == _OVER for s in statuses) else _OK
        return Response(overall_code=overall, statuses=statuses)


def _matched(match: MatchedLimit | None) -> MatchedLimit:
    assert match is not None
    return match


def _duration(seconds: float) -> Duration:
    duration = Duration()
    duration.FromMilliseconds(max(0, int(seconds * 1000)))
    return duration
