"""A tiny real HTTP server (stdlib http.server in a thread) for tests: each route answers with a
canned JSON response shaped like the real API's. Used instead of mocking client libraries."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

Response = tuple[int, Any]


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]


@dataclass
class FakeServer:
    """routes: {("GET", "/v1/sys/seal-status"): (200, {...}) or [(..), (..)]} - a list is
    answered in order, the last entry repeating."""

    routes: dict[tuple[str, str], Any] = field(default_factory=dict)  # Response | list[Response]
    requests: list[Recorded] = field(default_factory=list)

    def __post_init__(self) -> None:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                path = urlsplit(self.path).path
                server.requests.append(
                    Recorded(self.command, path, {k.lower(): v for k, v in self.headers.items()})
                )
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                route = server.routes.get((self.command, path))
                if isinstance(route, list):
                    status, body = route.pop(0) if len(route) > 1 else route[0]
                elif route is None:
                    status, body = 404, {"errors": []}
                else:
                    status, body = route
                payload = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _answer

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_port}"

    def paths(self) -> list[str]:
        return [r.path for r in self.requests]

    def __enter__(self) -> FakeServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
