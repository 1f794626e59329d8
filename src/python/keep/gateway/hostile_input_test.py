"""Hostile input on every path into the gateway (headers, query, path, bodies, methods, raw
protocol) against the whole stack on an embedded Redis: never a 5xx, always the security
headers, and browsers cannot create or reveal on behalf of another site."""

from __future__ import annotations

import gzip
import http.client
import io
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from requests.structures import CaseInsensitiveDict

from keep.devstack.stack import Stack

BUDGETED = "198.51.100.77"  # the one client with a small byte budget
BUDGET_BYTES = 3000
LIMITS = f"""
domain: keep
descriptors:
  - key: action
    value: create
    descriptors:
      - {{key: remote_address, rate_limit: {{unit: minute, requests_per_unit: 100000}}}}
  - key: action
    value: create_bytes
    descriptors:
      - key: remote_address
        value: "{BUDGETED}"
        rate_limit: {{unit: hour, requests_per_unit: {BUDGET_BYTES}}}
      - {{key: remote_address, rate_limit: {{unit: hour, requests_per_unit: 100000000}}}}
  - key: action
    value: reveal
    descriptors:
      - {{key: remote_address, rate_limit: {{unit: minute, requests_per_unit: 100000}}}}
"""
SECURITY_HEADERS = {
    "cache-control": "no-store",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
}
JSON = {"Content-Type": "application/json"}


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    limits: Path = tmp_path_factory.mktemp("limits") / "limits.yaml"
    limits.write_text(LIMITS)
    env = {
        "ratelimit": {"RATELIMIT_CONFIG": str(limits)},
        "gateway": {"TRUSTED_PROXY_HOPS": "1"},
    }
    with Stack(http_port=0, env=env, output=subprocess.DEVNULL) as running:
        yield running


def raw(stack: Stack, data: bytes) -> requests.Response:
    """Sends bytes as they are, for what requests would refuse or rewrite before sending:
    broken framing, bad header names, non-ASCII request lines, `%2e%2e` (sent as `/`). The
    answer is parsed by http.client and handed back as a requests.Response, so `_check` reads
    every answer the same way."""
    with socket.create_connection(("127.0.0.1", stack.ports["http"]), timeout=15) as sock:
        sock.sendall(data)
        answer = http.client.HTTPResponse(sock)
        answer.begin()
        reply = requests.Response()
        reply.status_code = answer.status
        reply.headers = CaseInsensitiveDict(answer.getheaders())
        reply.raw = io.BytesIO(answer.read())  # what `.content` reads
        return reply


def _check(reply: requests.Response, status: int | None = None) -> requests.Response:
    assert reply.status_code < 500, (reply.status_code, reply.content)
    for name, value in SECURITY_HEADERS.items():
        assert reply.headers.get(name) == value, (name, reply.status_code, reply.headers)
    assert "default-src 'none'" in reply.headers.get("content-security-policy", "")
    if status is not None:
        assert reply.status_code == status, (reply.status_code, reply.content)
    return reply


def _create(stack: Stack, secret: str = "s3cret", **headers: str) -> dict[str, str]:
    reply = requests.post(stack.url + "/", data=secret.encode(), headers=headers, timeout=15)
    created: dict[str, str] = _check(reply, 201).json()
    return created


# --- bodies --------------------------------------------------------------------------------

DEEP = b'{"secret": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/secrets", DEEP),
        ("/api/v1/secrets", b'{"secret": "x", "n": ' + b"[" * 3000 + b"]" * 3000 + b"}"),
        ("/api/v1/secrets", rb'{"secret": "\ud800"}'),
        ("/api/v1/secrets", rb'{"secret": "a\udc00b"}'),
        ("/api/v1/secrets", b'{"secret": "\xff\xfe"}'),
        ("/api/v1/secrets", b'{"secret": "x", "ttl_seconds": ' + b"9" * 5000 + b"}"),
        ("/api/v1/secrets", b'{"secret": "x", "ttl_seconds": 1e400}'),
        ("/api/v1/secrets", b'{"secret": "x", "ttl_seconds": 3600.0}'),
        ("/api/v1/secrets", b'{"secret": "x", "ttl_seconds": true}'),
        ("/api/v1/secrets", b"NaN"),
        ("/api/v1/secrets", b"\xef\xbb\xbf{}"),
        ("/api/v1/secrets/AAAAAAAAAAAAAAAAAAAAAA/reveal", rb'{"password": "\ud800"}'),
        ("/api/v1/secrets/AAAAAAAAAAAAAAAAAAAAAA/reveal", b"[" * 2000),
        ("/api/v1/secrets/AAAAAAAAAAAAAAAAAAAAAA/reveal", b'{"password": {"a": 1}}'),
    ],
)
def test_malformed_json_is_400(stack: Stack, path: str, body: bytes) -> None:
    reply = requests.post(stack.url + path, data=body, headers=JSON, timeout=15)
    assert _check(reply, 400).json()["error"]["code"] in ("invalid_json", "invalid_argument")


def test_a_lone_surrogate_password_on_a_real_secret_is_400_and_does_not_consume(
    stack: Stack,
) -> None:
    created = _create(stack)
    path = f"{stack.url}/api/v1/secrets/{created['id']}/reveal"
    _check(requests.post(path, data=rb'{"password": "\udfff"}', headers=JSON, timeout=15), 400)
    revealed = _check(requests.post(path, json={"password": created["password"]}, timeout=15), 200)
    assert revealed.json() == {"secret": "s3cret"}


@pytest.mark.parametrize("password", [b"\xff\xfe\xfd", b"\xed\xa0\x80", b"\x00", b"\r\n"])
def test_binary_password_to_the_curl_url(stack: Stack, password: bytes) -> None:
    created = _create(stack)
    reply = requests.post(created["url"], data=password, timeout=15)
    assert _check(reply).status_code in (400, 403)
    _check(requests.post(created["url"], data=created["password"], timeout=15), 200)


@pytest.mark.parametrize("encoding", ["gzip", "deflate"])
@pytest.mark.parametrize("path", ["/", "/api/v1/secrets", "/AAAAAAAAAAAAAAAAAAAAAA"])
def test_body_that_does_not_decode_is_400(stack: Stack, encoding: str, path: str) -> None:
    headers = {"Content-Encoding": encoding, "Content-Type": "application/json"}
    reply = requests.post(stack.url + path, data=b"not compressed", headers=headers, timeout=15)
    assert _check(reply, 400).json()["error"]["code"] == "invalid_body"


def test_compressed_body_is_capped_after_decoding(stack: Stack) -> None:
    bomb = gzip.compress(b"x" * (10 * 1024 * 1024))  # 10 MiB in about 10 KiB
    reply = requests.post(
        stack.url + "/", data=bomb, headers={"Content-Encoding": "gzip"}, timeout=15
    )
    assert _check(reply, 413).json()["error"]["code"] == "payload_too_large"


# --- headers -------------------------------------------------------------------------------


def _with_header(method: str, path: str, header: bytes, body: bytes = b"") -> bytes:
    return (
        f"{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n".encode()
        + header
        + f"\r\nContent-Length: {len(body)}\r\n\r\n".encode()
        + body
    )


def test_non_utf8_password_header_on_burn_is_400(stack: Stack) -> None:
    created = _create(stack)
    path = f"/api/v1/secrets/{created['id']}"
    reply = _check(raw(stack, _with_header("DELETE", path, b"X-Keep-Password: \xff\xfe")), 400)
    assert reply.json()["error"]["code"] == "invalid_argument"
    _check(requests.post(created["url"], data=created["password"], timeout=15), 200)  # still there


@pytest.mark.parametrize(
    "header",
    [
        b"X-Forwarded-For: \xff, \xfe",
        b"X-Forwarded-For: " + b"1.1.1.1," * 2000,
        b"Origin: \xff://\xfe",
        b"Sec-Fetch-Site: \xff",
        b"Content-Type: \xff/\xfe; charset=\xfd",
        b"User-Agent: \xff\xfe",
        b"Content-Type: application/json; charset=nonsense",
    ],
)
@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/", b"x"),
        ("POST", "/api/v1/secrets", b'{"secret": "x"}'),
        ("POST", "/AAAAAAAAAAAAAAAAAAAAAA", b"pw"),
        ("DELETE", "/api/v1/secrets/AAAAAAAAAAAAAAAAAAAAAA", b""),
        ("GET", "/api/v1/secrets/AAAAAAAAAAAAAAAAAAAAAA", b""),
    ],
)
def test_hostile_headers_never_5xx(
    stack: Stack, header: bytes, method: str, path: str, body: bytes
) -> None:
    _check(raw(stack, _with_header(method, path, header, body)))


# --- query, path, methods, protocol --------------------------------------------------------


@pytest.mark.parametrize(
    "query", ["ttl=%FF", "ttl=" + "9" * 5000, "ttl=-1", "ttl=1e3", "ttl=%00", "ttl=x&ttl=60"]
)
def test_bad_ttl_query_is_400(stack: Stack, query: str) -> None:
    _check(requests.post(f"{stack.url}/?{query}", data="x", timeout=15), 400)


@pytest.mark.parametrize(
    "path",
    [
        "/%FF",
        "/%ED%A0%80",
        "/api/v1/secrets/%FF%FE",
        "/api/v1/secrets/%ED%A0%80/reveal",
        "/" + "A" * 5000,
        "/api/v1/secrets/" + "A" * 129,
    ],
)
def test_hostile_paths_are_404(stack: Stack, path: str) -> None:
    for method in ("GET", "POST", "DELETE"):
        _check(raw(stack, _with_header(method, path, b"X-Keep-Password: pw")), 404)


@pytest.mark.parametrize("name", ["%FF.js", "..%2F..%2Fetc%2Fpasswd", "%2e%2e", "create.html"])
def test_hostile_static_names_are_404(stack: Stack, name: str) -> None:
    _check(raw(stack, _with_header("GET", f"/static/{name}", b"X-Any: 1")), 404)


@pytest.mark.parametrize("method", ["PROPFIND", "TRACE", "MKCOL", "PURGE", "SEARCH"])
def test_any_method_is_405_and_metrics_stay_bounded(stack: Stack, method: str) -> None:
    _check(raw(stack, _with_header(method, "/api/v1/secrets", b"X-Any: 1")), 405)
    metrics_url = f"http://127.0.0.1:{stack.ports['gateway_metrics']}/metrics"
    metrics = requests.get(metrics_url, timeout=5)
    metrics.raise_for_status()
    text = metrics.text
    assert f'method="{method}"' not in text
    assert 'method="other"' in text


@pytest.mark.parametrize(
    "data",
    [
        b"FOO / HTTP/1.1\r\nHost: localhost\r\n\r\n",
        b"M" * 100 + b" / HTTP/1.1\r\nHost: localhost\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: localhost\r\nX-Long: " + b"x" * 10000 + b"\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: localhost\r\nContent-Length: abc\r\n\r\n",
        b"POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nxx",
        b"POST / HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        b"GET /\xff HTTP/1.1\r\nHost: localhost\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: localhost\r\nBad Header Name: x\r\n\r\n",
    ],
)
def test_malformed_http_is_4xx_with_security_headers(stack: Stack, data: bytes) -> None:
    reply = _check(raw(stack, data))
    assert 400 <= reply.status_code < 500, reply.status_code


@pytest.mark.parametrize(
    ("method", "path"), [("GET", "/nowhere"), ("GET", "/healthz"), ("GET", "/"), ("PUT", "/")]
)
def test_every_answer_has_the_security_headers(stack: Stack, method: str, path: str) -> None:
    _check(requests.request(method, stack.url + path, timeout=15))


# --- cross-site creation, content types ----------------------------------------------------


def test_json_api_accepts_only_application_json(stack: Stack) -> None:
    api, body = stack.url + "/api/v1/secrets", b'{"secret": "x"}'
    for content_type in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data"):
        reply = requests.post(api, data=body, headers={"Content-Type": content_type}, timeout=15)
        assert _check(reply, 415).json()["error"]["code"] == "unsupported_media_type"
    # No Content-Type at all (requests adds none for a bytes body).
    _check(requests.post(api, data=body, timeout=15), 415)
    _check(requests.post(api, data=body, headers=JSON, timeout=15), 201)
    charset = {"Content-Type": "application/json; charset=utf-8"}
    _check(requests.post(api, data=body, headers=charset, timeout=15), 201)


@pytest.mark.parametrize(
    "headers",
    [
        {"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"},
        {"Sec-Fetch-Site": "same-site"},
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
    ],
)
def test_cross_site_browser_posts_are_403(stack: Stack, headers: dict[str, str]) -> None:
    form = {"Content-Type": "application/x-www-form-urlencoded", **headers}
    reply = requests.post(stack.url + "/", data="x", headers=form, timeout=15)
    assert _check(reply, 403).json()["error"]["code"] == "cross_site"
    api = stack.url + "/api/v1/secrets"
    _check(requests.post(api, json={"secret": "x"}, headers=headers, timeout=15), 403)
    created = _create(stack)
    _check(requests.post(created["url"], data=created["password"], headers=form, timeout=15), 403)
    _check(requests.post(created["url"], data=created["password"], timeout=15), 200)  # not consumed


@pytest.mark.parametrize(
    "headers",
    [
        {},  # curl
        {"Content-Type": "application/x-www-form-urlencoded"},  # curl -d
        {"Sec-Fetch-Site": "same-origin", "Origin": "http://localhost"},
        {"Sec-Fetch-Site": "none"},
    ],
)
def test_curl_and_own_pages_still_create(stack: Stack, headers: dict[str, str]) -> None:
    _create(stack, **headers)


def test_origin_of_the_public_url_or_the_host_itself_is_allowed(stack: Stack) -> None:
    _create(stack, Origin=stack.url)
    by_ip = f"http://127.0.0.1:{stack.ports['http']}"  # not PUBLIC_URL, but the Host asked for
    _check(requests.post(by_ip + "/", data="x", headers={"Origin": by_ip}, timeout=15), 201)


# --- the byte budget -----------------------------------------------------------------------


def test_byte_budget_per_client(stack: Stack) -> None:
    budgeted = {"X-Forwarded-For": BUDGETED}
    _create(stack, "x" * 2000, **budgeted)
    reply = requests.post(stack.url + "/", data="y" * 1500, headers=budgeted, timeout=15)
    assert _check(reply, 429).json()["error"]["code"] == "rate_limited"
    assert "bytes" in reply.json()["error"]["message"]
    assert 1 <= int(reply.headers["retry-after"]) <= 3600
    # Other clients are not affected; the request count alone would have allowed it.
    _create(stack, "y" * 1500, **{"X-Forwarded-For": "198.51.100.78"})
