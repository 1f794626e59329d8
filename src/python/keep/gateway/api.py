"""The JSON API under /api/v1 (documented by openapi.py)."""

from __future__ import annotations

import base64

from aiohttp import web

from keep.gateway import actions
from keep.gateway.body import read_body
from keep.gateway.errors import ApiError, not_found
from keep.gateway.models import MAX_PASSWORD_CHARS, CreateRequest, RevealRequest, parse
from keep.gateway.openapi import openapi_document
from keep.gateway.state import ID, gateway

PASSWORD_HEADER = "X-Keep-Password"
# JSON escapes can make a secret's body longer than the secret; allow for that.
_JSON_OVERHEAD = 4096

routes = web.RouteTableDef()


def _json_cap(request: web.Request) -> int:
    return 6 * gateway(request).settings.max_payload_bytes + _JSON_OVERHEAD


async def _json_body(request: web.Request, cap: int) -> bytes:
    """The raw body of a JSON API call. Only `application/json` is accepted: the other types
    a browser may send cross-site without asking (forms, text/plain) are refused up front."""
    if request.content_type != "application/json":
        raise ApiError(
            415,
            "unsupported_media_type",
            "Send the body as JSON with `Content-Type: application/json`.",
        )
    return await read_body(request, cap, gateway(request).settings.body_timeout_seconds)


@routes.post("/api/v1/secrets")
async def create_secret(request: web.Request) -> web.Response:
    settings = gateway(request).settings
    raw = await _json_body(request, _json_cap(request))
    body = parse(CreateRequest, raw)
    # The documented default is the built-in one; a deployment may configure another.
    ttl = (
        body.ttl_seconds if "ttl_seconds" in body.model_fields_set else settings.default_ttl_seconds
    )
    created = await actions.create(request, body.secret.encode("utf-8"), ttl)
    return web.json_response(
        created, status=201, headers={"Location": f"/api/v1/secrets/{created['id']}"}
    )


@routes.post(f"/api/v1/secrets/{ID}/reveal")
async def reveal_secret(request: web.Request) -> web.Response:
    body = parse(RevealRequest, await _json_body(request, MAX_PASSWORD_CHARS))
    payload = await actions.reveal(request, request.match_info["id"], body.password)
    try:
        return web.json_response({"secret": payload.decode("utf-8")})
    except UnicodeDecodeError:
        return web.json_response({"secret_base64": base64.b64encode(payload).decode()})


@routes.get(f"/api/v1/secrets/{ID}")
async def secret_status(request: web.Request) -> web.Response:
    secret_id = request.match_info["id"]
    status = await gateway(request).datastorage.status(secret_id, actions.remote_address(request))
    if not status.exists:
        raise not_found()
    return web.json_response(
        {
            "id": secret_id,
            "expires_at": (
                status.expires_at.isoformat().replace("+00:00", "Z") if status.expires_at else None
            ),
            "locked": status.locked,
        }
    )


@routes.delete(f"/api/v1/secrets/{ID}")
async def burn_secret(request: web.Request) -> web.Response:
    password = request.headers.get(PASSWORD_HEADER, "")
    if not password:
        raise ApiError(
            400, "invalid_argument", f"Send the secret's password in the {PASSWORD_HEADER} header."
        )
    await actions.burn(request, request.match_info["id"], password)
    return web.Response(status=204)


@routes.get("/api/v1/openapi.json")
async def openapi(request: web.Request) -> web.Response:
    settings = gateway(request).settings
    return web.json_response(openapi_document(settings.public_url, settings.max_payload_bytes))
