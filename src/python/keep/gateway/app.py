"""The gateway's aiohttp application: routes in matching order, middlewares, backends."""

from __future__ import annotations

from aiohttp import web

from keep.gateway import api, curl, health, pages
from keep.gateway.middleware import errors, observe
from keep.gateway.settings import Settings
from keep.gateway.state import SETTINGS, backends
from keep.gateway.tracing import trace_requests


def create_app(settings: Settings) -> web.Application:
    # Handlers read bodies themselves with their own caps; this is only the backstop.
    app = web.Application(
        middlewares=[trace_requests(), observe, errors],
        client_max_size=6 * settings.max_payload_bytes + 8192,
    )
    app[SETTINGS] = settings
    app.cleanup_ctx.append(backends)
    # Fixed paths first: /healthz would otherwise match the /{id} page route.
    app.router.add_routes(health.routes)
    app.router.add_routes(api.routes)
    app.router.add_routes(curl.routes)
    app.router.add_routes(pages.routes)
    return app
