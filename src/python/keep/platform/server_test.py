import asyncio
import os
import signal
import subprocess
import sys
import textwrap

import grpc
import pytest
from grpc_health.v1 import health_pb2
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc
from prometheus_client import REGISTRY

from keep.platform.server import GrpcService, RunningServer, start_server
from keep.testing.health import health_status

SLOW = "/test.Slow/Call"


def _identity(b: bytes) -> bytes:
    return b


async def _slow_call(request: bytes, context: grpc.aio.ServicerContext[bytes, bytes]) -> bytes:
    await asyncio.sleep(float(request.decode()))
    return b"done"


def _register_slow(server: grpc.aio.Server) -> None:
    handler = grpc.unary_unary_rpc_method_handler(
        _slow_call, request_deserializer=_identity, response_serializer=_identity
    )
    server.add_generic_rpc_handlers(
        [grpc.method_handlers_generic_handler("test.Slow", {"Call": handler})]
    )


async def _start(ready: bool = True, grace: float = 5.0) -> RunningServer:
    async def readiness() -> bool:
        return ready

    service = GrpcService(
        name="test",
        port=0,
        register=_register_slow,
        service_names=["test.Slow"],
        readiness=readiness,
    )
    return await start_server(service, grace)


async def test_liveness_is_independent_of_readiness() -> None:
    running = await _start(ready=False)
    try:
        assert (
            await health_status(running.port, "liveness") == health_pb2.HealthCheckResponse.SERVING
        )
        assert (
            await health_status(running.port, "readiness")
            == health_pb2.HealthCheckResponse.NOT_SERVING
        )
        assert await health_status(running.port, "") == health_pb2.HealthCheckResponse.NOT_SERVING
    finally:
        await running.stop()


async def test_reflection_lists_service_health_and_reflection() -> None:
    running = await _start()
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{running.port}") as channel:
            stub = reflection_pb2_grpc.ServerReflectionStub(channel)
            responses = stub.ServerReflectionInfo(
                iter([reflection_pb2.ServerReflectionRequest(list_services="")])
            )
            names = {s.name async for r in responses for s in r.list_services_response.service}
        assert {
            "test.Slow",
            "grpc.health.v1.Health",
            "grpc.reflection.v1alpha.ServerReflection",
        } <= names
    finally:
        await running.stop()


def _count(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_interceptor_counts_requests_errors_and_latency() -> None:
    running = await _start()
    method = "/grpc.health.v1.Health/Check"
    before_ok = _count("keep_grpc_server_requests_total", method=method, code="OK")
    before_err = _count("keep_grpc_server_errors_total", method=method, code="NOT_FOUND")
    before_latency = _count("keep_grpc_server_latency_seconds_count", method=method)
    try:
        await health_status(running.port, "liveness")
        with pytest.raises(grpc.aio.AioRpcError) as error:
            await health_status(running.port, "no-such-service")
        assert error.value.code() is grpc.StatusCode.NOT_FOUND
    finally:
        await running.stop()
    assert _count("keep_grpc_server_requests_total", method=method, code="OK") == before_ok + 1
    assert (
        _count("keep_grpc_server_errors_total", method=method, code="NOT_FOUND") == before_err + 1
    )
    assert _count("keep_grpc_server_latency_seconds_count", method=method) == before_latency + 2


async def test_stop_drains_in_flight_calls_and_refuses_new_ones() -> None:
    running = await _start(grace=5.0)
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{running.port}")
    call = channel.unary_unary(SLOW, request_serializer=_identity, response_deserializer=_identity)
    in_flight = asyncio.ensure_future(call(b"0.5", timeout=5))
    await asyncio.sleep(0.1)
    await running.stop()
    assert await in_flight == b"done"
    with pytest.raises(grpc.aio.AioRpcError) as error:
        await call(b"0", timeout=1)
    assert error.value.code() is grpc.StatusCode.UNAVAILABLE
    await channel.close(None)


async def test_calls_still_running_after_the_grace_period_are_cancelled() -> None:
    running = await _start(grace=0.2)
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{running.port}")
    call = channel.unary_unary(SLOW, request_serializer=_identity, response_deserializer=_identity)
    in_flight = asyncio.ensure_future(call(b"30", timeout=10))
    await asyncio.sleep(0.1)
    await asyncio.wait_for(running.stop(), timeout=3)
    with pytest.raises(grpc.aio.AioRpcError):
        await in_flight
    await channel.close(None)


SERVICE_PROCESS = textwrap.dedent(
    """
    from keep.platform.server import GrpcService, run
    from keep.platform.settings import ServiceSettings

    run("demo", ServiceSettings(metrics_port=0),
        lambda: GrpcService(name="demo", port=0, register=lambda s: None, service_names=[]))
    """
)


def test_sigterm_stops_the_process_cleanly() -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    process = subprocess.Popen(
        [sys.executable, "-c", SERVICE_PROCESS], env=env, stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    # Wait until it serves, so the signal tests shutdown rather than start-up.
    while '"message": "serving"' not in (line := process.stdout.readline()):
        assert line, "the service exited before serving"
    process.send_signal(signal.SIGTERM)
    out, _ = process.communicate(timeout=10)
    assert process.returncode == 0
    assert '"message": "stopped"' in out
    assert '"signal": "SIGTERM"' in out
