"""Browser-facing protections: the security headers every response carries, and refusing
state-changing requests that a browser sends on behalf of another site.

Cross-site requests: any web page can make its visitors' browsers POST to Keep (a form or a
"simple" fetch needs no CORS preflight), which would create secrets or spend a reveal in the
visitor's name. Browsers say where a request comes from: `Sec-Fetch-Site` (every current
browser) and `Origin` (older ones, and every cross-origin POST). A request whose headers say
another site sent it is refused with 403. curl and other scripts send neither header and keep
working exactly as before: the check only ever refuses what a browser marked as foreign.
"""

from __future__ import annotations

from functools import partial
from urllib.parse import urlsplit

from aiohttp import web

from keep.gateway.errors import ApiError

BASE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
        "img-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}
# Two years, as hstspreload.org asks; only sent when the public URL is https (sending it over
# plain http is ignored by browsers and would break a local http deployment once it goes https).
HSTS = "max-age=63072000; includeSubDomains"

# `none`: the person typed the URL or used a bookmark; anything but same-origin comes from
# another page (`same-site` is a sibling subdomain: still someone else's page).
_OWN_FETCH_SITES = {"same-origin", "none"}


def security_headers(public_url: str) -> dict[str, str]:
    headers = dict(BASE_HEADERS)
    if public_url.startswith("https://"):
        headers["Strict-Transport-Security"] = HSTS
    return headers


def add_headers_to_every_response(runner: web.AppRunner, public_url: str) -> None:
    """After `runner.setup()`: every response the server sends carries `security_headers`.

    A middleware or `on_response_prepare` sees only routed requests; aiohttp answers malformed
    HTTP (unknown method, bad header, bad Content-Length) itself, before routing. Every
    response, those included, is prepared through its request's `_prepare_hook`, so the
    server builds its requests from a class that adds the headers there."""
    headers = security_headers(public_url)

    class _Request(web.Request):
        async def _prepare_hook(self, response: web.StreamResponse) -> None:
            for name, value in headers.items():
                response.headers.setdefault(name, value)
            await super()._prepare_hook(response)

    server = runner.server
    if server is None:
        raise RuntimeError("call add_headers_to_every_response after runner.setup()")
    server.request_factory = partial(runner.app._make_request, _cls=_Request)


def _origin_is_ours(origin: str, host: str | None, public_url: str) -> bool:
    """`Origin` names this gateway: its public URL, or the Host the browser connected to."""
    if origin == "null":  # sandboxed frames, data: URLs, some redirects: never ours
        return False
    try:
        parts = urlsplit(origin)
    except ValueError:
        return False
    public = urlsplit(public_url)
    if (parts.scheme, parts.netloc) == (public.scheme, public.netloc):
        return True
    return host is not None and parts.netloc.lower() == host.lower()


def refuse_cross_site(request: web.Request, public_url: str) -> None:
    """403 when the browser says another site sent this request; no headers: allowed."""
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None:
        foreign = fetch_site.lower() not in _OWN_FETCH_SITES
    else:
        origin = request.headers.get("Origin")
        foreign = origin is not None and not _origin_is_ours(origin, request.host, public_url)
    if foreign:
        raise ApiError(
            403,
            "cross_site",
            "Another site sent this request from your browser; Keep accepts it only from its "
            "own pages or from scripts (curl).",
        )
