"""Liveness and readiness for Kubernetes' HTTP probes."""

from __future__ import annotations

from aiohttp import web

from keep.gateway.state import gateway

routes = web.RouteTableDef()


@routes.get("/healthz")
async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


@routes.get("/readyz")
async def readyz(request: web.Request) -> web.Response:
    gw = gateway(request)
    if gw.draining:
        return web.json_response({"status": "draining"}, status=503)
    if not await gw.datastorage.ready():
        return web.json_response({"status": "data-storage not ready"}, status=503)
    return web.json_response({"status": "ok"})
