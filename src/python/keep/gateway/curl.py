"""The original plain-HTTP contract, made for curl:

curl -d 'some secret' http://HOST/        -> 201 {"url", "password", "id", "expires_at"}
curl -d "$password" "$url"                -> 200 the secret, once; then 404
"""

from __future__ import annotations

from aiohttp import web

from keep.gateway import actions
from keep.gateway.body import read_body
from keep.gateway.errors import ApiError
from keep.gateway.state import ID, gateway

routes = web.RouteTableDef()


@routes.post("/")
async def create(request: web.Request) -> web.Response:
    settings = gateway(request).settings
    ttl_param = request.query.get("ttl", str(settings.default_ttl_seconds))
    try:
        ttl = int(ttl_param)
    except ValueError:
        raise ApiError(400, "invalid_argument", "`ttl` must be a number of seconds.") from None
    ttl = actions.check_ttl(ttl)
    payload = await read_body(request, settings.max_payload_bytes, settings.body_timeout_seconds)
    created = await actions.create(request, payload, ttl)
    return web.json_response(created, status=201)


@routes.post(f"/{ID}")
async def reveal(request: web.Request) -> web.Response:
    settings = gateway(request).settings
    raw = await read_body(request, 4096, settings.body_timeout_seconds)
    password = raw.decode("utf-8", errors="replace").strip()
    payload = await actions.reveal(request, request.match_info["id"], password)
    try:
        payload.decode("utf-8")
        content_type, charset = "text/plain", "utf-8"
    except UnicodeDecodeError:
        content_type, charset = "application/octet-stream", None
    return web.Response(body=payload, content_type=content_type, charset=charset)
