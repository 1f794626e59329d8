"""Calling another service through a Dapr sidecar: the client connects to its own sidecar
(localhost:DAPR_GRPC_PORT) and names the target app in `dapr-app-id` metadata; the sidecars carry
the call over mutual TLS to the target's sidecar, which hands it to the app (gRPC proxying)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import grpc

APP_ID_METADATA = "dapr-app-id"


class AppIdInterceptor(grpc.aio.UnaryUnaryClientInterceptor):  # type: ignore[misc,type-arg]
    """Adds `dapr-app-id: <app_id>` to every unary call (all of Keep's APIs, health included)."""

    def __init__(self, app_id: str):
        self._app_id = app_id

    async def intercept_unary_unary(
        self,
        continuation: Callable[[grpc.aio.ClientCallDetails, Any], Awaitable[Any]],
        details: grpc.aio.ClientCallDetails,
        request: Any,
    ) -> Any:
        metadata = grpc.aio.Metadata(*(details.metadata or ()), (APP_ID_METADATA, self._app_id))
        return await continuation(
            grpc.aio.ClientCallDetails(
                details.method, details.timeout, metadata, details.credentials,
                details.wait_for_ready,
            ),
            request,
        )  # fmt: skip
