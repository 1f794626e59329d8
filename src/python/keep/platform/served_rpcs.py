"""One server interceptor for what every unary RPC gets: a SERVER span continuing the caller's
trace (`traceparent` metadata) and the Prometheus request, error and latency metrics.

Why not OpenTelemetry's grpc.aio server interceptor next to a metrics interceptor: grpc.aio
runs every interceptor for every call, and each of those rebuilt the method handler per call;
OpenTelemetry's also wraps the servicer context in a proxy and parses the peer. In data-storage
under `bench:grpc` the two were about 13 % of the main thread outside the handlers. Here the
wrapped handler is built once per method, and the span is named and attributed as the
instrumentation names it (`/package.Service/Method`, `rpc.system`, `rpc.service`, `rpc.method`,
`rpc.grpc.status_code`; status ERROR for the codes it treats as server errors), so traces look
the same. Streaming RPCs (health Watch, reflection) pass through untraced and uncounted: Keep's
APIs are all unary.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any, cast

import grpc
from opentelemetry import context as context_api
from opentelemetry import propagate, trace
from opentelemetry.propagators.textmap import TextMapPropagator
from opentelemetry.trace import SpanKind, Status, StatusCode, TracerProvider

from keep.platform.metrics import IN_FLIGHT, RpcMetrics, status_of
from keep.platform.tracing import SpanStarter

TRACER_NAME = "keep.platform.grpc_server"

Context = grpc.aio.ServicerContext[Any, Any]
Behavior = Callable[[Any, Context], Awaitable[Any]]

# The codes OpenTelemetry's gRPC instrumentation marks as errors of a server span; the others
# (NOT_FOUND, PERMISSION_DENIED...) are the caller's, not the server's.
_SERVER_ERRORS = frozenset(
    {
        grpc.StatusCode.UNKNOWN,
        grpc.StatusCode.DEADLINE_EXCEEDED,
        grpc.StatusCode.UNIMPLEMENTED,
        grpc.StatusCode.INTERNAL,
        grpc.StatusCode.UNAVAILABLE,
        grpc.StatusCode.DATA_LOSS,
    }
)
_NO_METADATA: dict[str, str] = {}


class _Propagation:
    """The caller's context from the call's metadata, as `propagate.extract` gives it. Most
    calls carry none of the propagator's keys (`traceparent`, `tracestate`, `baggage`), and
    then the metadata need not be copied into a dict and parsed: the answer is what the
    propagator extracts from nothing."""

    def __init__(self) -> None:
        self._propagator: TextMapPropagator | None = None
        self._fields: frozenset[str] = frozenset()

    def caller(self, metadata: Any) -> context_api.Context:
        propagator = propagate.get_global_textmap()  # may be replaced at any time
        if propagator is not self._propagator:
            self._fields = frozenset(propagator.fields)
            self._propagator = propagator
        fields = self._fields
        for key, _ in metadata or ():
            if key in fields:
                return propagator.extract(dict(metadata))
        return propagator.extract(_NO_METADATA)


def _observed(
    method: str, behavior: Behavior, spans: SpanStarter, propagation: _Propagation
) -> Behavior:
    service, _, name = method.lstrip("/").partition("/")
    attributes = {"rpc.system": "grpc", "rpc.service": service, "rpc.method": name}
    metrics = RpcMetrics(method)

    async def observed(request: Any, context: Context) -> Any:
        started = time.perf_counter()
        # What tracer.start_as_current_span does, without its two generator-based context
        # managers per call: the span becomes current (log lines get its ids, outgoing calls
        # its traceparent) until the call ends.
        caller = propagation.caller(context.invocation_metadata())
        span = spans.start(method, caller, SpanKind.SERVER, attributes)
        token = context_api.attach(trace.set_span_in_context(span))
        code = grpc.StatusCode.UNKNOWN
        try:
            IN_FLIGHT.count += 1
            try:
                response = await behavior(request, context)
            finally:
                IN_FLIGHT.count -= 1
            code = status_of(context)
            return response
        except BaseException as e:
            # abort() raises after setting the code; anything else is a server error.
            aborted = status_of(context)
            code = grpc.StatusCode.UNKNOWN if aborted is grpc.StatusCode.OK else aborted
            if type(e) is not Exception and code is grpc.StatusCode.UNKNOWN:
                span.record_exception(e)
            raise
        finally:
            if span.is_recording():  # unsampled spans drop attributes anyway
                span.set_attribute("rpc.grpc.status_code", code.value[0])
                if code in _SERVER_ERRORS:
                    span.set_status(Status(StatusCode.ERROR, f"{code}:{context.details()}"))
            metrics.observe(code, started)
            context_api.detach(token)
            span.end()

    return observed


class ServedRpcs(grpc.aio.ServerInterceptor):  # type: ignore[misc,type-arg]
    """Traces, counts and times every unary-unary RPC of a known method."""

    def __init__(self, tracer_provider: TracerProvider | None = None) -> None:
        # The global provider's unless given (tests); a proxy until the global one is set.
        self._spans = SpanStarter(trace.get_tracer(TRACER_NAME, tracer_provider=tracer_provider))
        self._propagation = _Propagation()
        # method -> (the service's handler, the same handler observed); bounded by the
        # registered methods: unknown methods have no handler and are passed through.
        self._handlers: dict[str, tuple[Any, grpc.RpcMethodHandler[Any, Any]]] = {}

    async def intercept_service(
        self,
        continuation: Callable[
            [grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler[Any, Any]]
        ],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler[Any, Any]:
        handler = await continuation(handler_call_details)
        if handler is None or handler.unary_unary is None:
            return handler
        method = handler_call_details.method
        known = self._handlers.get(method)
        if known is None or known[0] is not handler:
            # The stubs describe sync handlers; on an aio server the behavior is a coroutine.
            behavior = cast(Behavior, handler.unary_unary)
            observed = grpc.unary_unary_rpc_method_handler(
                _observed(method, behavior, self._spans, self._propagation),
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
            known = self._handlers[method] = (handler, observed)
        return known[1]
