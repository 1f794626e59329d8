"""VIA_DAPR=true: the gateway calls datastorage and ratelimit through one local port, naming each
target in `dapr-app-id`. daprd cannot run here, so a stand-in for the sidecar's gRPC proxying
(route by `dapr-app-id`, pass bytes through) sits between the gateway and a real datastorage."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import grpc
import pytest_asyncio
from aiohttp.test_utils import TestClient, TestServer

from keep.devstack.embedded_redis import EmbeddedRedis
from keep.devstack.ports import free_port
from keep.gateway.app import create_app
from keep.gateway.settings import Settings
from keep.platform.dapr import APP_ID_METADATA
from keep.testing.datastorage import start_datastorage
from keep.testing.embedded_redis import embedded_redis_fixture


class SidecarStandIn(grpc.GenericRpcHandler):  # type: ignore[type-arg]
    """Forwards each unary call, as bytes, to the app its `dapr-app-id` names."""

    def __init__(self, apps: dict[str, str]):
        self.channels = {app: grpc.aio.insecure_channel(address) for app, address in apps.items()}
        self.seen: list[tuple[str, str]] = []

    def service(self, details: grpc.HandlerCallDetails) -> grpc.RpcMethodHandler[Any, Any]:
        method = details.method

        async def forward(request: bytes, context: grpc.aio.ServicerContext[Any, Any]) -> bytes:
            metadata = dict(context.invocation_metadata() or ())
            app = str(metadata.pop(APP_ID_METADATA, ""))
            self.seen.append((app, method))
            if app not in self.channels:
                await context.abort(grpc.StatusCode.UNAVAILABLE, f"no app {app!r}")
            call = self.channels[app].unary_unary(method)  # type: ignore[call-arg]  # bytes in, bytes out
            try:
                response: bytes = await call(request, metadata=tuple(metadata.items()), timeout=5)
            except grpc.aio.AioRpcError as e:
                await context.abort(e.code(), e.details() or "")
            return response

        return grpc.unary_unary_rpc_method_handler(forward)


redis_server = embedded_redis_fixture()


@pytest_asyncio.fixture
async def through_sidecar(
    redis_server: EmbeddedRedis,
) -> AsyncIterator[tuple[TestClient, SidecarStandIn]]:  # type: ignore[type-arg]
    datastorage = await start_datastorage(redis_server.url)
    # ratelimit's app id leads nowhere: the gateway must fail open exactly as without Dapr.
    sidecar = SidecarStandIn({"datastorage": f"127.0.0.1:{datastorage.port}"})
    server = grpc.aio.server()
    server.add_generic_rpc_handlers((sidecar,))
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    settings = Settings(
        via_dapr=True,
        dapr_grpc_port=port,
        # Unused with via_dapr: nothing listens there.
        datastorage_address=f"127.0.0.1:{free_port()}",
        ratelimit_address=f"127.0.0.1:{free_port()}",
    )
    client = TestClient(TestServer(create_app(settings)))
    await client.start_server()
    yield client, sidecar
    await client.close()
    await server.stop(None)
    await datastorage.stop()


async def test_gateway_reaches_both_services_through_the_sidecar(
    through_sidecar: tuple[TestClient, SidecarStandIn],  # type: ignore[type-arg]
) -> None:
    gateway, sidecar = through_sidecar
    created = await gateway.post("/api/v1/secrets", json={"secret": "via dapr"})
    assert created.status == 201, await created.text()
    body = await created.json()
    revealed = await gateway.post(
        f"/api/v1/secrets/{body['id']}/reveal", json={"password": body["password"]}
    )
    assert (revealed.status, (await revealed.json())["secret"]) == (200, "via dapr")
    apps = {(app, method.rsplit("/", 1)[-1]) for app, method in sidecar.seen}
    assert {("datastorage", "CreateSecret"), ("datastorage", "RevealSecret")} <= apps
    assert ("ratelimit", "ShouldRateLimit") in apps


def test_without_the_setting_no_sidecar_is_used() -> None:
    assert Settings().via_dapr is False
