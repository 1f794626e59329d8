"""grpc.aio server bootstrap shared by every gRPC service: health, reflection, metrics,
structured logs, a garbage collector tuned for serving and graceful shutdown on SIGTERM."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from typing import Any

import grpc
from grpc_health.v1 import health_pb2
from grpc_reflection.v1alpha import reflection

from keep.platform.gc_tuning import tune_for_serving
from keep.platform.health import HealthReporter, ReadinessCheck
from keep.platform.logs import configure_logging
from keep.platform.metrics import start_metrics_server
from keep.platform.served_rpcs import ServedRpcs
from keep.platform.settings import ServiceSettings
from keep.platform.tls import TlsFiles, server_credentials, server_tls
from keep.platform.tracing import configure_tracing

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class GrpcService:
    """What a service contributes; the platform supplies everything around it."""

    name: str
    port: int
    # Adds the service's servicers to the server.
    register: Callable[[grpc.aio.Server], None]
    # Fully qualified names of the registered services, announced through reflection.
    service_names: Sequence[str]
    readiness: ReadinessCheck | None = None
    readiness_interval: float = 2.0
    # Runs after the last in-flight call finished (close pools, flush buffers).
    cleanup: Callable[[], Awaitable[None]] | None = None
    grpc_options: Sequence[tuple[str, int]] = field(default_factory=tuple)
    # Long-running coroutines started with the server and cancelled when it stops
    # (e.g. ratelimit's limits reloader).
    background: Sequence[Callable[[], Coroutine[Any, Any, None]]] = field(default_factory=tuple)


class RunningServer:
    """A started server: its bound port, and a graceful stop."""

    def __init__(self, service: GrpcService, grace: float, tls: TlsFiles | None = None):
        self.service = service
        self.grace = grace
        self.server = grpc.aio.server(
            # Spans, metrics, then the handlers and their log lines inside the RPC's span.
            interceptors=[ServedRpcs()],
            options=list(service.grpc_options),
        )
        service.register(self.server)
        self.health = HealthReporter(self.server, service.readiness, service.readiness_interval)
        reflection.enable_server_reflection(
            [
                *service.service_names,
                health_pb2.DESCRIPTOR.services_by_name["Health"].full_name,
                reflection.SERVICE_NAME,
            ],
            self.server,
        )
        self._background: list[asyncio.Task[None]] = []
        address = f"[::]:{service.port}"
        if tls is None:
            self.port = self.server.add_insecure_port(address)
        else:
            self.port = self.server.add_secure_port(address, server_credentials(tls))
        self.tls = tls is not None
        if self.port == 0:
            raise OSError(f"{service.name}: cannot listen on port {service.port}")

    async def start(self) -> None:
        await self.server.start()
        await self.health.start()
        self._background = [asyncio.create_task(task()) for task in self.service.background]
        log.info("serving", extra={"port": self.port, "tls": self.tls})

    async def stop(self) -> None:
        """Stop accepting calls, let in-flight calls finish within the grace period, clean up."""
        log.info("draining", extra={"grace_seconds": self.grace})
        await self.health.shutdown()
        await self.server.stop(self.grace)
        for task in self._background:
            task.cancel()
        await asyncio.gather(*self._background, return_exceptions=True)
        if self.service.cleanup is not None:
            await self.service.cleanup()
        log.info("stopped")


async def start_server(
    service: GrpcService, grace: float = 5.0, tls: TlsFiles | None = None
) -> RunningServer:
    running = RunningServer(service, grace, tls)
    await running.start()
    return running


def shutdown_signal() -> asyncio.Future[signal.Signals]:
    """Handles SIGTERM (Kubernetes) and SIGINT (Ctrl-C) from now on; resolves on the first."""
    loop = asyncio.get_running_loop()
    received: asyncio.Future[signal.Signals] = loop.create_future()

    def on_signal(sig: signal.Signals) -> None:
        if not received.done():
            received.set_result(sig)

    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, on_signal, sig)
    return received


async def serve_until_signalled(
    service: GrpcService, grace: float, tls: TlsFiles | None = None
) -> None:
    # Handlers first: a SIGTERM that arrives while starting must still drain, not kill.
    stopping = shutdown_signal()
    running = await start_server(service, grace, tls)
    sig = await stopping
    log.info("shutdown signal", extra={"signal": sig.name})
    await running.stop()


def run(name: str, settings: ServiceSettings, build: Callable[[], GrpcService]) -> None:
    """The whole life of a gRPC service process; `build` runs inside the event loop."""

    async def main() -> None:
        await serve_until_signalled(build(), settings.shutdown_grace_seconds, server_tls(settings))

    configure_logging(name, settings.log_level)
    configure_tracing(name)
    start_metrics_server(settings.metrics_port)
    tune_for_serving()  # every gRPC service serves many small requests (gc_tuning's docstring)
    asyncio.run(main())
