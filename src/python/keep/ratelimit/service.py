"""envoy.service.ratelimit.v3.RateLimitService: match descriptors to limits, count, decide.

The decision follows envoyproxy/ratelimit's service: limits named in another matched limit's
`replaces` are dropped; `unlimited` limits answer OK without counting; a `shadow_mode` limit is
counted and reported but answers OK; `quota_mode` descriptors refuse the request only when all of
them are over their limits; any other descriptor over its limit refuses it. A request with
`keep-ratelimit-batch` metadata is several requests in one call, each decided alone
(keep.ratelimit.batch).
"""

from __future__ import annotations

import itertools
import logging
import math
from dataclasses import dataclass
from typing import Any

import grpc
from envoy.config.core.v3 import base_pb2
from envoy.extensions.common.ratelimit.v3 import ratelimit_pb2
from envoy.service.ratelimit.v3 import rls_pb2, rls_pb2_grpc
from envoy.type.v3 import ratelimit_unit_pb2
from google.protobuf.duration_pb2 import Duration
from prometheus_client import Counter

from keep.ratelimit.batch import BATCH_METADATA, BadBatch, groups
from keep.ratelimit.config import Unit
from keep.ratelimit.counter import Count, CounterUnavailable, RedisCounter, Window
from keep.ratelimit.matching import Limits, MatchedLimit

SERVICE_NAME = rls_pb2.DESCRIPTOR.services_by_name["RateLimitService"].full_name

DECISIONS = Counter(
    "keep_ratelimit_descriptors_total",
    "Descriptors checked, by matched rule and outcome "
    "(OK, OVER_LIMIT, SHADOW_OVER_LIMIT, UNLIMITED, REPLACED, NO_LIMIT).",
    ["rule", "code"],
)

log = logging.getLogger(__name__)

Response = rls_pb2.RateLimitResponse
_OK = Response.Code.OK
_OVER = Response.Code.OVER_LIMIT
_UINT32_MAX = 2**32 - 1


@dataclass(frozen=True)
class HeaderNames:
    """Names of the response headers Envoy adds to the client's response (None: not sent)."""

    limit: str = "x-ratelimit-limit"
    remaining: str = "x-ratelimit-remaining"
    reset: str = "x-ratelimit-reset"


def _limit_message(matched: MatchedLimit) -> Response.RateLimit:
    limit = matched.limit
    assert limit.unit is not None
    return Response.RateLimit(
        name=limit.name or matched.rule,
        requests_per_unit=limit.requests_per_unit,
        unit=Response.RateLimit.Unit.Value(limit.unit.name),
    )


def _override(
    descriptor: ratelimit_pb2.RateLimitDescriptor, entries: tuple[tuple[str, str], ...]
) -> MatchedLimit | None:
    if not descriptor.HasField("limit"):
        return None
    # envoy.type.v3.RateLimitUnit values are Unit's names in the same order.
    try:
        name = ratelimit_unit_pb2.RateLimitUnit.Name(descriptor.limit.unit)
    except ValueError:
        name = "UNKNOWN"  # a newer sender's unit: use the configured limit instead
    if name not in Unit.__members__:
        return None  # UNKNOWN (Envoy validates it away before sending): no override
    return Limits.override(entries, descriptor.limit.requests_per_unit, Unit[name])


class RateLimitServicer(rls_pb2_grpc.RateLimitServiceServicer):
    def __init__(
        self,
        limits: Limits,
        counter: RedisCounter,
        response_headers: HeaderNames | None = None,
        global_shadow_mode: bool = False,
    ):
        self.limits = limits  # replaced whole by the reloader; read once per request
        self._counter = counter
        self._headers = response_headers
        self._global_shadow = global_shadow_mode

    def replace_limits(self, limits: Limits) -> None:
        self.limits = limits

    async def ShouldRateLimit(
        self, request: rls_pb2.RateLimitRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> rls_pb2.RateLimitResponse:
        if not request.domain:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "domain must not be empty")
        if not request.descriptors:
            await context.abort(
                grpc.StatusCode.INVALID_ARGUMENT, "at least one descriptor is required"
            )
        try:
            sizes = groups(_batch_value(context), len(request.descriptors))
        except BadBatch as e:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(e))
        limits = self.limits
        matches: list[MatchedLimit | None] = []
        for descriptor in request.descriptors:
            entries = tuple((e.key, e.value) for e in descriptor.entries)
            match = None
            if request.domain in limits.domains:  # unknown domains are never limited
                match = _override(descriptor, entries) or limits.find(request.domain, entries)
            matches.append(match)
        codes: list[str] = []
        windows: dict[int, Window] = {}
        start = 0
        for size in sizes:
            group = range(start, start + size)
            start += size
            # `replaces` acts within one group: a batch's groups are separate requests.
            replaced = {r.name for i in group if (m := matches[i]) for r in m.limit.replaces}
            for i in group:
                match = matches[i]
                if match is None:
                    codes.append("NO_LIMIT")
                elif match.limit.name and match.limit.name in replaced:
                    codes.append("REPLACED")
                elif match.limit.unlimited:
                    codes.append("UNLIMITED")
                else:
                    codes.append("")  # decided after counting
                    descriptor = request.descriptors[i]
                    hits = (
                        descriptor.hits_addend.value
                        if descriptor.HasField("hits_addend")
                        else max(1, request.hits_addend)
                    )
                    windows[i] = Window(
                        request.domain, match.counter_entries, match.limit.window_seconds, hits
                    )
        try:
            counted = await self._counter.hit(list(windows.values()))
        except CounterUnavailable as e:
            log.warning("redis unavailable", extra={"error": str(e)})
            await context.abort(grpc.StatusCode.UNAVAILABLE, "rate limit store unavailable")
        counts = dict(zip(windows, counted, strict=True))
        response = self._respond(sizes, matches, codes, counts)
        for match, code in zip(matches, codes, strict=True):
            DECISIONS.labels(match.rule if match is not None else "none", code).inc()
        return response

    def _respond(
        self,
        sizes: list[int],
        matches: list[MatchedLimit | None],
        codes: list[str],
        counts: dict[int, Count],
    ) -> Response:
        """Each group decided alone (keep.ratelimit.batch); `codes` is filled in place."""
        statuses: list[Response.DescriptorStatus] = []
        overall = _OK
        closest: tuple[Response.DescriptorStatus, Count] | None = None
        for start, end in itertools.pairwise(itertools.accumulate(sizes, initial=0)):
            group_codes = codes[start:end]
            group_counts = {i - start: counts[i] for i in range(start, end) if i in counts}
            decided = self._decide(matches[start:end], group_codes, group_counts)
            codes[start:end] = group_codes
            statuses.extend(decided.statuses)
            if decided.code == _OVER:
                overall = _OVER
            closest = decided.closest
        response = Response(overall_code=overall, statuses=statuses)
        # Headers describe one request's closest limit: a batch (several groups) gets none.
        if len(sizes) == 1 and self._headers is not None and closest is not None:
            response.response_headers_to_add.extend(self._header_values(*closest))
        return response

    def _decide(
        self, matches: list[MatchedLimit | None], codes: list[str], counts: dict[int, Count]
    ) -> _Decided:
        statuses: list[Response.DescriptorStatus] = []
        over = quota_total = quota_over = 0
        closest: tuple[Response.DescriptorStatus, Count] | None = None
        for i, (match, code) in enumerate(zip(matches, codes, strict=True)):
            status = Response.DescriptorStatus(code=_OK)
            statuses.append(status)
            if code == "UNLIMITED":
                status.limit_remaining = _UINT32_MAX
            if i not in counts:
                continue
            assert match is not None
            count = counts[i]
            allowed = match.limit.requests_per_unit
            is_over = count.count > allowed
            status.current_limit.CopyFrom(_limit_message(match))
            status.limit_remaining = max(0, allowed - count.count)
            status.duration_until_reset.CopyFrom(_duration(count.seconds_until_reset))
            if closest is None or status.limit_remaining < closest[0].limit_remaining:
                closest = (status, count)
            quota_total += match.quota_mode
            if not is_over:
                codes[i] = "OK"
            elif match.shadow_mode:
                codes[i] = "SHADOW_OVER_LIMIT"
            else:
                codes[i] = "OVER_LIMIT"
                status.code = _OVER
                if match.quota_mode:
                    quota_over += 1
                else:
                    over += 1
                    closest = (status, count)  # the refusing descriptor is the one to report
        refused = over > 0 or (quota_total > 0 and quota_over == quota_total)
        if refused and self._global_shadow:
            refused = False  # RATELIMIT_GLOBAL_SHADOW_MODE: report, never refuse
        return _Decided(_OVER if refused else _OK, statuses, closest)

    def _header_values(
        self, status: Response.DescriptorStatus, count: Count
    ) -> list[base_pb2.HeaderValue]:
        assert self._headers is not None
        return [
            base_pb2.HeaderValue(
                key=self._headers.limit, value=str(status.current_limit.requests_per_unit)
            ),
            base_pb2.HeaderValue(key=self._headers.remaining, value=str(status.limit_remaining)),
            base_pb2.HeaderValue(
                key=self._headers.reset, value=str(math.ceil(count.seconds_until_reset))
            ),
        ]


@dataclass(frozen=True)
class _Decided:
    """One request's (one group's) decision: overall code, statuses, the limit to report."""

    code: Any
    statuses: list[Response.DescriptorStatus]
    closest: tuple[Response.DescriptorStatus, Count] | None


def _batch_value(context: grpc.aio.ServicerContext[Any, Any]) -> str | None:
    for key, value in context.invocation_metadata() or ():
        if key == BATCH_METADATA:
            return str(value)
    return None


def _duration(seconds: float) -> Duration:
    duration = Duration()
    duration.FromMilliseconds(max(0, int(seconds * 1000)))
    return duration
