"""What request handlers share: settings and the backend clients."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

from aiohttp import web

from keep.gateway.datastorage import DataStorage
from keep.gateway.ratelimiter import RateLimiter
from keep.gateway.settings import Settings
from keep.platform.tls import client_tls


@dataclass
class Gateway:
    settings: Settings
    datastorage: DataStorage
    ratelimiter: RateLimiter
    draining: bool = False


GATEWAY = web.AppKey("gateway", Gateway)
SETTINGS = web.AppKey("settings", Settings)


def gateway(request: web.Request) -> Gateway:
    return request.app[GATEWAY]


async def backends(app: web.Application) -> AsyncIterator[None]:
    """Opens the gRPC channels inside the event loop and closes them on shutdown."""
    settings = app[SETTINGS]
    tls = client_tls(settings)
    datastorage, ratelimit = settings.datastorage_address, settings.ratelimit_address
    datastorage_app = ratelimit_app = None
    if settings.via_dapr:  # both through the local sidecar, which routes by app id
        datastorage = ratelimit = f"127.0.0.1:{settings.dapr_grpc_port}"
        datastorage_app, ratelimit_app = settings.datastorage_app_id, settings.ratelimit_app_id
    app[GATEWAY] = Gateway(
        settings,
        DataStorage(
            datastorage,
            settings.datastorage_timeout_seconds,
            settings.max_payload_bytes,
            tls,
            datastorage_app,
        ),
        RateLimiter(
            ratelimit,
            settings.ratelimit_domain,
            settings.ratelimit_timeout_seconds,
            tls,
            ratelimit_app,
        ),
    )
    yield
    await app[GATEWAY].datastorage.close()
    await app[GATEWAY].ratelimiter.close()


# Route placeholder for secret ids: anything else is a 404 without asking data-storage.
ID = "{id:[A-Za-z0-9_-]{1,128}}"
