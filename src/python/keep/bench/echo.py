"""The gRPC ceiling for benchmarks: a bare grpc.aio server speaking DataStorageService that
does no work, run as its own process like the real service.

    python -m keep.bench.echo --port 50099

CreateSecret answers with a fixed id and password; RevealSecret echoes the last payload it was
sent. No interceptors, health, reflection, logging or storage: what is left is the cost of
grpc.aio itself (HTTP/2, protobuf, the event loop) on the same machine, so
`data-storage throughput / echo throughput` is a ratio that does not move between machines.
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import grpc

from keep.datastorage.v1 import datastorage_pb2 as pb
from keep.datastorage.v1 import datastorage_pb2_grpc as pb_grpc
from keep.devstack.ports import free_port
from keep.devstack.processes import python_env, spawn, stop

Context = grpc.aio.ServicerContext[Any, Any]
_ID = "echo-echo-echo-echo-ec"  # 22 characters, like a real id


class EchoService(pb_grpc.DataStorageServiceServicer):
    def __init__(self) -> None:
        self._payload = b""

    async def CreateSecret(
        self, request: pb.CreateSecretRequest, context: Context
    ) -> pb.CreateSecretResponse:
        self._payload = request.payload
        return pb.CreateSecretResponse(id=_ID, password=_ID)

    async def RevealSecret(
        self, request: pb.RevealSecretRequest, context: Context
    ) -> pb.RevealSecretResponse:
        return pb.RevealSecretResponse(payload=self._payload)

    # Not benchmarked; answered so the servicer is complete.
    async def BurnSecret(
        self, request: pb.BurnSecretRequest, context: Context
    ) -> pb.BurnSecretResponse:
        return pb.BurnSecretResponse()

    async def GetSecretStatus(
        self, request: pb.GetSecretStatusRequest, context: Context
    ) -> pb.GetSecretStatusResponse:
        return pb.GetSecretStatusResponse(exists=False)


async def serve(port: int, servicer: pb_grpc.DataStorageServiceServicer) -> None:
    server = grpc.aio.server()
    pb_grpc.add_DataStorageServiceServicer_to_server(servicer, server)
    server.add_insecure_port(f"127.0.0.1:{port}")
    await server.start()
    await server.wait_for_termination()


async def grpc_ready(port: int, timeout: float) -> str:
    """Waits until a gRPC server answers on 127.0.0.1:port; returns its target."""
    target = f"127.0.0.1:{port}"
    async with grpc.aio.insecure_channel(target) as channel:
        await asyncio.wait_for(channel.channel_ready(), timeout)
    return target


@dataclass(frozen=True)
class Server:
    """A server under benchmark: where to call it, and its processes (for CPU accounting)."""

    target: str
    pids: tuple[int, ...]


@contextmanager
def running(timeout: float = 30.0) -> Iterator[Server]:
    """Starts the echo server in a child process."""
    with running_module(__name__, [], timeout) as server:
        yield server


@contextmanager
def running_module(
    module: str,
    args: list[str],
    timeout: float,
    ready: Callable[[int, float], Coroutine[Any, Any, str]] = grpc_ready,
) -> Iterator[Server]:
    """Starts `python -m module --port PORT *args` and waits until `ready(port, timeout)` says
    it answers (a gRPC server by default); the target is what `ready` returns."""
    port = free_port()
    argv = [sys.executable, "-m", module, "--port", str(port), *args]
    process = spawn(argv, python_env({}), subprocess.DEVNULL)
    try:
        target = asyncio.run(ready(port, timeout))
        yield Server(target, (process.pid,))
    finally:
        stop(process, grace=5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    asyncio.run(serve(parser.parse_args().port, EchoService()))


if __name__ == "__main__":
    main()
