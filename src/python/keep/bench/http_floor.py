"""The floor under the gateway: a minimal HTTP edge for data-storage, run as its own process.

    python -m keep.bench.http_floor --port 8099 --datastorage 127.0.0.1:50051

A bare aiohttp server answering the two curl calls the HTTP benchmark makes, each by one
grpc.aio call to data-storage, as the gateway makes them (same request messages and metadata):

    POST /       body = the secret   -> 201 {"id", "url", "password", "share_url", "expires_at"}
    POST /{id}   body = the password -> 200 the secret (404 when gone, 403 wrong password)

Nothing else: no rate limiting, access log, metrics, tracing, middlewares or checks beyond what
aiohttp and json do. `minimal edge / gRPC` is then the most any one-hop Python HTTP edge in
front of data-storage can reach on this machine, and `gateway / minimal edge` what the gateway's
own work costs.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from datetime import UTC
from typing import TYPE_CHECKING

import grpc
from aiohttp import web
from google.protobuf.duration_pb2 import Duration

from keep.bench.echo import Server, running_module
from keep.datastorage.v1 import datastorage_pb2 as pb
from keep.datastorage.v1 import datastorage_pb2_grpc as pb_grpc
from keep.gateway.datastorage import CLIENT_ADDRESS_METADATA
from keep.gateway.settings import Settings

if TYPE_CHECKING:
    from keep.datastorage.v1.datastorage_pb2_grpc import DataStorageServiceAsyncStub

# The gateway's defaults, read from its settings: the bench runs the gateway on them, so
# data-storage does the same work and calls wait as long behind either edge.
_GATEWAY_DEFAULTS = Settings.model_fields
TTL_SECONDS: int = _GATEWAY_DEFAULTS["default_ttl_seconds"].default
TIMEOUT_SECONDS: float = _GATEWAY_DEFAULTS["datastorage_timeout_seconds"].default
# gRPC status of a failed call -> HTTP status; anything else is the backend's failure.
_HTTP_STATUS = {
    grpc.StatusCode.NOT_FOUND: 404,
    grpc.StatusCode.PERMISSION_DENIED: 403,
    grpc.StatusCode.INVALID_ARGUMENT: 400,
    grpc.StatusCode.RESOURCE_EXHAUSTED: 429,
}
# The async stub type exists only for type checkers (mypy-protobuf's .pyi).
_STUB: web.AppKey[DataStorageServiceAsyncStub] = web.AppKey("stub")
_PUBLIC_URL = web.AppKey("public_url", str)


async def create(request: web.Request) -> web.Response:
    stub = request.app[_STUB]
    message = pb.CreateSecretRequest(
        payload=await request.read(), ttl=Duration(seconds=TTL_SECONDS)
    )
    try:
        created = await stub.CreateSecret(message, timeout=TIMEOUT_SECONDS)
    except grpc.aio.AioRpcError as e:
        return _failed(e)
    url = f"{request.app[_PUBLIC_URL]}/{created.id}"
    expires_at = created.expires_at.ToDatetime(tzinfo=UTC).isoformat().replace("+00:00", "Z")
    body = {"id": created.id, "url": url, "password": created.password,
            "share_url": f"{url}#{created.password}", "expires_at": expires_at}  # fmt: skip
    return web.json_response(body, status=201)


async def reveal(request: web.Request) -> web.Response:
    stub = request.app[_STUB]
    password = (await request.read()).decode("utf-8", errors="replace").strip()
    message = pb.RevealSecretRequest(id=request.match_info["id"], password=password)
    metadata = ((CLIENT_ADDRESS_METADATA, request.remote or ""),)
    try:
        revealed = await stub.RevealSecret(message, timeout=TIMEOUT_SECONDS, metadata=metadata)
    except grpc.aio.AioRpcError as e:
        return _failed(e)
    return web.Response(body=revealed.payload)


def _failed(error: grpc.aio.AioRpcError) -> web.Response:
    return web.Response(status=_HTTP_STATUS.get(error.code(), 503), text=error.code().name)


def app(datastorage: str, public_url: str) -> web.Application:
    application = web.Application()
    application[_PUBLIC_URL] = public_url

    async def channel(application: web.Application) -> AsyncIterator[None]:
        async with grpc.aio.insecure_channel(datastorage) as opened:
            application[_STUB] = pb_grpc.DataStorageServiceStub(opened)
            yield

    application.cleanup_ctx.append(channel)
    application.router.add_post("/", create)
    application.router.add_post("/{id}", reveal)
    return application


@contextmanager
def running(datastorage: str, timeout: float = 30.0) -> Iterator[Server]:
    """Starts the minimal edge in a child process; `target` is its base URL."""
    with running_module(__name__, ["--datastorage", datastorage], timeout, _listening) as edge:
        yield edge


async def _listening(port: int, timeout: float) -> str:
    """Waits until 127.0.0.1:port accepts connections; returns the base URL."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.1)
        else:
            writer.close()
            await writer.wait_closed()
            return f"http://127.0.0.1:{port}"


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--datastorage", required=True, help="host:port of data-storage (gRPC)")
    args = parser.parse_args()
    public_url = f"http://127.0.0.1:{args.port}"
    web.run_app(
        app(args.datastorage, public_url),
        host="127.0.0.1",
        port=args.port,
        access_log=None,
        print=None,
    )


if __name__ == "__main__":
    main()
