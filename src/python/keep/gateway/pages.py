"""The web pages: static HTML/CSS/JS shipped with the gateway (no build step, no CDN),
read into memory once at start-up.

GET /{id} never touches the secret: the page's script asks for the status and reveals only
when the person presses "Reveal" (a POST). The password travels in the link's #fragment,
which browsers never send to servers."""

from __future__ import annotations

from importlib import resources

from aiohttp import web

from keep.gateway.errors import not_found
from keep.gateway.state import ID

_TYPES = {".html": "text/html", ".css": "text/css", ".js": "text/javascript"}


def _load() -> dict[str, tuple[bytes, str]]:
    files = {}
    for entry in resources.files("keep.gateway").joinpath("static").iterdir():
        suffix = "." + entry.name.rsplit(".", 1)[-1]
        if suffix in _TYPES:
            files[entry.name] = (entry.read_bytes(), _TYPES[suffix])
    return files


STATIC = _load()

routes = web.RouteTableDef()


def _file(name: str) -> web.Response:
    body, content_type = STATIC[name]
    return web.Response(body=body, content_type=content_type, charset="utf-8")


@routes.get("/static/{name}")
async def static(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    if name not in STATIC or name.endswith(".html"):
        raise not_found()
    return _file(name)


@routes.get("/")
async def create_page(request: web.Request) -> web.Response:
    return _file("create.html")


@routes.get(f"/{ID}")
async def reveal_page(request: web.Request) -> web.Response:
    return _file("reveal.html")
