"""The gateway as people and scripts use it: real gateway, data-storage and ratelimit
processes on a real Redis container (keep/redis image)."""

from __future__ import annotations

import re
import signal
import socket
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO

import pytest
import requests

from keep.devstack.stack import Stack
from keep.testing.redis_container import RunningRedis, redis_container

LIMITED = "198.51.100.9"  # the one address with a tiny create limit
LIMITS = f"""
domain: keep
descriptors:
  - key: action
    value: create
    descriptors:
      - key: remote_address
        value: "{LIMITED}"
        rate_limit: {{unit: minute, requests_per_unit: 2}}
      - key: remote_address
        rate_limit: {{unit: minute, requests_per_unit: 100000}}
  - key: action
    value: reveal
    descriptors:
      - key: remote_address
        rate_limit: {{unit: minute, requests_per_unit: 100000}}
"""
MAX_PAYLOAD = 1024


@pytest.fixture(scope="module")
def redis_server() -> Iterator[RunningRedis]:
    with redis_container() as running:
        yield running


def _stack(redis: RunningRedis, tmp: Path, log: BinaryIO, **gateway_env: str) -> Stack:
    limits = tmp / "limits.yaml"
    limits.write_text(LIMITS)
    size = str(MAX_PAYLOAD)
    return Stack(
        redis_url=redis.url,
        http_port=0,
        env={
            "datastorage": {"MAX_PAYLOAD_BYTES": size},
            "ratelimit": {"RATELIMIT_CONFIG": str(limits)},
            "gateway": {"MAX_PAYLOAD_BYTES": size, "TRUSTED_PROXY_HOPS": "1", **gateway_env},
        },
        output=log.fileno(),
    ).start()


@pytest.fixture(scope="module")
def logs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = tmp_path_factory.mktemp("logs") / "services.log"
    yield path


@pytest.fixture(scope="module")
def stack(
    redis_server: RunningRedis, tmp_path_factory: pytest.TempPathFactory, logs: Path
) -> Iterator[Stack]:
    with logs.open("wb") as log:
        running = _stack(redis_server, tmp_path_factory.mktemp("stack"), log,
                         BODY_TIMEOUT_SECONDS="1")  # fmt: skip
        yield running
        assert set(running.stop().values()) == {0}, "every service exits cleanly on SIGTERM"


def _create(stack: Stack, secret: bytes | str = "some secret", **headers: str) -> dict[str, Any]:
    body = secret.encode() if isinstance(secret, str) else secret
    reply = requests.post(stack.url + "/", data=body, headers=headers, timeout=15)
    assert reply.status_code == 201, reply.content
    created: dict[str, Any] = reply.json()
    return created


def _post_password(url: str, password: str) -> requests.Response:
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    return requests.post(url, data=password, headers=form, timeout=15)


# --- the curl contract ---------------------------------------------------------------------


def test_curl_contract_create_reveal_once_then_404(stack: Stack) -> None:
    reply = requests.post(stack.url + "/", data="some secret", timeout=15,
                          headers={"Content-Type": "application/x-www-form-urlencoded"})  # fmt: skip
    assert reply.status_code == 201
    created = reply.json()
    assert {"url", "password", "id", "expires_at"} <= created.keys()
    assert created["url"] == f"{stack.url}/{created['id']}"
    assert created["share_url"] == f"{created['url']}#{created['password']}"
    expires = datetime.fromisoformat(created["expires_at"])
    assert timedelta(hours=23) < expires - datetime.now(UTC) <= timedelta(hours=24)

    first = _post_password(created["url"], created["password"])
    assert (first.status_code, first.content) == (200, b"some secret")
    assert first.headers["content-type"].startswith("text/plain")
    again = _post_password(created["url"], created["password"])
    assert again.status_code == 404
    assert "already read" in again.json()["error"]["message"]


def test_curl_ttl_parameter_and_binary_secrets(stack: Stack) -> None:
    payload = bytes(range(256))
    reply = requests.post(stack.url + "/?ttl=120", data=payload, timeout=15)
    assert reply.status_code == 201
    created = reply.json()
    expires = datetime.fromisoformat(created["expires_at"])
    assert timedelta(seconds=100) < expires - datetime.now(UTC) <= timedelta(seconds=120)
    revealed = _post_password(created["url"], created["password"] + "\n")  # a trailing newline
    assert (revealed.status_code, revealed.content) == (200, payload)
    assert revealed.headers["content-type"] == "application/octet-stream"


def test_get_never_consumes(stack: Stack) -> None:
    created = _create(stack)
    for _ in range(3):
        page = requests.get(created["url"], timeout=15)
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
        assert b"Reveal" in page.content
        assert "script-src 'self'" in page.headers["content-security-policy"]
        assert page.headers["referrer-policy"] == "no-referrer"
        status = requests.get(f"{stack.url}/api/v1/secrets/{created['id']}", timeout=15)
        assert status.status_code == 200
        assert status.json()["locked"] is False
    revealed = _post_password(created["url"], created["password"])
    assert (revealed.status_code, revealed.content) == (200, b"some secret")


# --- the JSON API --------------------------------------------------------------------------


def test_json_api_round_trip(stack: Stack) -> None:
    reply = requests.post(stack.url + "/api/v1/secrets", timeout=15,
                          json={"secret": "hunter2 ✓", "ttl_seconds": 600})  # fmt: skip
    assert reply.status_code == 201
    created = reply.json()
    assert reply.headers["location"] == f"/api/v1/secrets/{created['id']}"
    status_url = f"{stack.url}/api/v1/secrets/{created['id']}"
    status = requests.get(status_url, timeout=15).json()
    assert status["id"] == created["id"]
    assert status["expires_at"] == created["expires_at"]
    reveal_url = f"{stack.url}/api/v1/secrets/{created['id']}/reveal"
    password = {"password": created["password"]}
    revealed = requests.post(reveal_url, json=password, timeout=15)
    assert (revealed.status_code, revealed.json()) == (200, {"secret": "hunter2 ✓"})
    assert requests.post(reveal_url, json=password, timeout=15).status_code == 404
    assert requests.get(status_url, timeout=15).status_code == 404


def test_json_reveal_of_binary_secret_is_base64(stack: Stack) -> None:
    created = _create(stack, b"\xff\xfe")
    revealed = requests.post(f"{stack.url}/api/v1/secrets/{created['id']}/reveal",
                             json={"password": created["password"]}, timeout=15)  # fmt: skip
    assert revealed.json() == {"secret_base64": "//4="}


def test_burn(stack: Stack) -> None:
    created = _create(stack)
    url = f"{stack.url}/api/v1/secrets/{created['id']}"
    missing = requests.delete(url, timeout=15)
    assert (missing.status_code, missing.json()["error"]["code"]) == (400, "invalid_argument")
    assert "X-Keep-Password" in missing.json()["error"]["message"]
    wrong = requests.delete(url, headers={"X-Keep-Password": "nope"}, timeout=15)
    assert (wrong.status_code, wrong.json()["error"]["code"]) == (403, "wrong_password")
    right = requests.delete(url, headers={"X-Keep-Password": created["password"]}, timeout=15)
    assert right.status_code == 204
    assert _post_password(created["url"], created["password"]).status_code == 404


def test_openapi_document_is_served(stack: Stack) -> None:
    document = requests.get(stack.url + "/api/v1/openapi.json", timeout=15).json()
    assert document["openapi"].startswith("3.")
    assert {"/api/v1/secrets", "/api/v1/secrets/{id}", "/api/v1/secrets/{id}/reveal"} <= set(
        document["paths"]
    )
    assert document["servers"] == [{"url": stack.url}]


# --- every error code ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "body", "code"),
    [
        ("POST", "/", b"", "empty_secret"),
        ("POST", "/?ttl=5", b"x", "invalid_argument"),
        ("POST", "/?ttl=soon", b"x", "invalid_argument"),
        ("POST", "/api/v1/secrets", b"not json", "invalid_json"),
        ("POST", "/api/v1/secrets", b"[1]", "invalid_json"),
        ("POST", "/api/v1/secrets", b'{"secret": 3}', "invalid_argument"),
        ("POST", "/api/v1/secrets", b'{"secret": "x", "ttl_seconds": 604801}', "invalid_argument"),
        ("POST", "/api/v1/secrets", b'{"secret": "x", "ttl_seconds": "1"}', "invalid_argument"),
        ("POST", "/api/v1/secrets/AAAAAAAAAAAAAAAAAAAAAA/reveal", b"{}", "invalid_argument"),
        ("POST", "/AAAAAAAAAAAAAAAAAAAAAA", b"", "invalid_argument"),
        ("GET", "/api/v1/secrets/short", b"", "invalid_argument"),  # data-storage's own check
    ],
)
def test_400_says_what_to_fix(stack: Stack, method: str, path: str, body: bytes, code: str) -> None:
    headers = {"Content-Type": "application/json"} if path.startswith("/api/") else {}
    reply = requests.request(method, stack.url + path, data=body, headers=headers, timeout=15)
    assert (reply.status_code, reply.json()["error"]["code"]) == (400, code), reply.content
    assert len(reply.json()["error"]["message"]) > 10


def test_403_wrong_password_does_not_consume(stack: Stack) -> None:
    created = _create(stack)
    wrong = _post_password(created["url"], "not-the-password")
    assert (wrong.status_code, wrong.json()["error"]["code"]) == (403, "wrong_password")
    assert _post_password(created["url"], created["password"]).status_code == 200


@pytest.mark.parametrize(
    "path", ["/AAAAAAAAAAAAAAAAAAAAAA", "/no.such.page", "/api/v1/nothing", "/static/missing.js"]
)
def test_404(stack: Stack, path: str) -> None:
    reply = requests.request("POST" if path.count("/") == 1 and "." not in path else "GET",
                             stack.url + path, data="pw", timeout=15)  # fmt: skip
    assert (reply.status_code, reply.json()["error"]["code"]) == (404, "not_found")


def test_405_names_the_allowed_methods(stack: Stack) -> None:
    reply = requests.put(stack.url + "/api/v1/secrets", data=b"{}", timeout=15)
    assert (reply.status_code, reply.json()["error"]["code"]) == (405, "method_not_allowed")
    assert "POST" in reply.headers["allow"]


def test_413_for_secrets_over_the_cap(stack: Stack) -> None:
    assert requests.post(stack.url + "/", data=b"x" * MAX_PAYLOAD, timeout=15).status_code == 201
    for reply in (
        requests.post(stack.url + "/", data=b"x" * (MAX_PAYLOAD + 1), timeout=15),
        requests.post(stack.url + "/api/v1/secrets", json={"secret": "x" * (MAX_PAYLOAD + 1)},
                      timeout=15),  # fmt: skip
        requests.post(stack.url + "/api/v1/secrets", data=b" " * (7 * MAX_PAYLOAD + 4096),
                      headers={"Content-Type": "application/json"}, timeout=15),  # fmt: skip
    ):
        assert (reply.status_code, reply.json()["error"]["code"]) == (413, "payload_too_large")
        assert re.search(r"the limit is \d+ bytes", reply.json()["error"]["message"])


def test_429_from_the_rate_limit_with_retry_after(stack: Stack) -> None:
    limited = {"X-Forwarded-For": f"203.0.113.50, {LIMITED}"}  # one trusted hop: the last entry
    for _ in range(2):
        _create(stack, **limited)
    reply = requests.post(stack.url + "/", data="x", headers=limited, timeout=15)
    assert (reply.status_code, reply.json()["error"]["code"]) == (429, "rate_limited")
    assert 1 <= int(reply.headers["retry-after"]) <= 60
    # The forged left-hand entry is ignored; other clients are not affected.
    _create(stack, **{"X-Forwarded-For": f"{LIMITED}, 203.0.113.51"})


def test_wrong_passwords_lock_out_only_the_guesser(stack: Stack) -> None:
    """25 parallel wrong guesses from one address: that address gets 429 + Retry-After; the
    owner, from another address, reads the secret at once."""
    created = _create(stack)
    guesser = {"Content-Type": "application/x-www-form-urlencoded",
               "X-Forwarded-For": "203.0.113.66"}  # fmt: skip
    with ThreadPoolExecutor(max_workers=25) as pool:
        replies = list(pool.map(
            lambda i: requests.post(created["url"], data=f"guess-{i}", headers=guesser,
                                    timeout=15), range(25)
        ))  # fmt: skip
    assert sorted(r.status_code for r in replies) == [403] * 5 + [429] * 20
    for reply in (*(r for r in replies if r.status_code == 429),
                  requests.post(created["url"], data=created["password"], headers=guesser,
                                timeout=15)):  # fmt: skip
        assert (reply.status_code, reply.json()["error"]["code"]) == (429, "locked")
        assert 1700 <= int(reply.headers["retry-after"]) <= 1800
    status_url = f"{stack.url}/api/v1/secrets/{created['id']}"
    status = requests.get(status_url, headers={"X-Forwarded-For": "203.0.113.66"}, timeout=15)
    assert status.json()["locked"] is True
    owner = {"X-Forwarded-For": "198.51.100.77"}
    assert requests.get(status_url, headers=owner, timeout=15).json()["locked"] is False
    reply = requests.post(f"{status_url}/reveal", json={"password": created["password"]},
                          headers=owner, timeout=15)  # fmt: skip
    assert (reply.status_code, reply.json()) == (200, {"secret": "some secret"})


def test_idempotency_key_is_checked(stack: Stack) -> None:
    created = _create(stack)
    reveal_url = f"{stack.url}/api/v1/secrets/{created['id']}/reveal"
    password = {"password": created["password"]}
    reply = requests.post(reveal_url, json=password, headers={"Idempotency-Key": "x" * 65},
                          timeout=15)  # fmt: skip
    assert (reply.status_code, reply.json()["error"]["code"]) == (400, "invalid_argument")
    key = {"Idempotency-Key": "reveal-1"}
    first = requests.post(reveal_url, json=password, headers=key, timeout=15)
    assert (first.status_code, first.json()) == (200, {"secret": "some secret"})
    # The same request repeated (e.g. after a lost reply) gets the same answer for a while
    # (TOMBSTONE_SECONDS); another key is another reader, who finds nothing.
    again = requests.post(reveal_url, json=password, headers=key, timeout=15)
    assert (again.status_code, again.json()) == (200, {"secret": "some secret"})
    other = requests.post(reveal_url, json=password, headers={"Idempotency-Key": "reveal-2"},
                          timeout=15)  # fmt: skip
    assert other.status_code == 404


def test_full_storage_is_503_storage_full_and_reveals_keep_working(
    stack: Stack, redis_server: RunningRedis
) -> None:
    created = _create(stack)
    redis = redis_server.client()
    redis.config_set("maxmemory", 1)  # any write that needs memory is refused (noeviction)
    try:
        reply = requests.post(stack.url + "/api/v1/secrets", json={"secret": "x"}, timeout=15)
        assert (reply.status_code, reply.json()["error"]["code"]) == (503, "storage_full")
        assert int(reply.headers["retry-after"]) > 0
        revealed = _post_password(created["url"], created["password"])
        assert (revealed.status_code, revealed.content) == (200, b"some secret")
    finally:
        redis.config_set("maxmemory", 0)
    _create(stack)


# --- slow and oversized clients ------------------------------------------------------------


def _raw(stack: Stack, data: bytes) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", stack.ports["http"]), timeout=10)
    sock.sendall(data)
    return sock


def _read_all(sock: socket.socket) -> bytes:
    chunks = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    sock.close()
    return b"".join(chunks)


def test_413_is_sent_before_the_body_is_read(stack: Stack) -> None:
    started = time.monotonic()
    sock = _raw(stack, b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000000\r\n\r\n")
    assert sock.recv(65536).startswith(b"HTTP/1.1 413")  # at once, no body sent at all
    assert time.monotonic() - started < 1
    _read_all(sock)  # and the connection is closed soon after (LINGER_SECONDS)
    assert time.monotonic() - started < 3


def test_413_for_chunked_bodies_stops_reading_at_the_cap(stack: Stack) -> None:
    sock = _raw(stack, b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
    chunk = b"x" * 512
    for _ in range(4):  # 2048 bytes > MAX_PAYLOAD; then the client just stalls
        sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
    assert _read_all(sock).startswith(b"HTTP/1.1 413")


def test_a_stalled_body_gets_408_and_does_not_block_others(stack: Stack) -> None:
    sock = _raw(stack, b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nsome")
    started = time.monotonic()
    _create(stack)  # served while the slow client is still sending
    assert time.monotonic() - started < 1
    response = _read_all(sock)
    assert response.startswith(b"HTTP/1.1 408")
    assert b"did not arrive within 1 seconds" in response
    assert time.monotonic() - started < 5


def test_slow_but_steady_clients_are_served(stack: Stack) -> None:
    body = b"slowly typed secret"
    head = b"POST / HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: %d\r\n\r\n"
    sock = _raw(stack, head % len(body))
    for i in range(0, len(body), 5):
        time.sleep(0.15)
        sock.sendall(body[i : i + 5])
    response = _read_all(sock)
    assert response.startswith(b"HTTP/1.1 201")


# --- health and logs -----------------------------------------------------------------------


def test_health_endpoints(stack: Stack) -> None:
    assert requests.get(stack.url + "/healthz", timeout=15).json() == {"status": "ok"}
    assert requests.get(stack.url + "/readyz", timeout=15).status_code == 200


def test_access_logs_hold_no_secrets_passwords_or_ids(stack: Stack, logs: Path) -> None:
    created = _create(stack, "log-canary-secret")
    _post_password(created["url"], created["password"])
    requests.get(created["url"], timeout=15)
    time.sleep(0.3)
    text = logs.read_text()
    assert '"logger": "keep.gateway.access"' in text
    assert "log-canary-secret" not in text
    assert created["password"] not in text
    assert created["id"] not in text
    assert created["id"][:6] in text  # redacted ids still correlate


# --- backends failing ----------------------------------------------------------------------


@pytest.fixture
def fragile(redis_server: RunningRedis, tmp_path: Path) -> Iterator[Stack]:
    with (tmp_path / "services.log").open("wb") as log:
        running = _stack(redis_server, tmp_path, log, DATASTORAGE_TIMEOUT_SECONDS="1")
        yield running
        running.stop()


def _metric(stack: Stack, name: str) -> float:
    metrics_url = f"http://127.0.0.1:{stack.ports['gateway_metrics']}/metrics"
    text = requests.get(metrics_url, timeout=15).content
    values = re.findall(rb"^" + re.escape(name.encode()) + rb"(?:\{[^}]*\})? ([0-9.e+]+)$",
                        text, re.M)  # fmt: skip
    return sum(float(v) for v in values)


def test_ratelimit_down_fails_open_and_is_counted(fragile: Stack) -> None:
    fragile.processes["ratelimit"].kill()
    fragile.processes["ratelimit"].wait()
    started = time.monotonic()
    created = _create(fragile)
    assert time.monotonic() - started < 2
    assert _post_password(created["url"], created["password"]).status_code == 200
    assert _metric(fragile, "keep_gateway_ratelimit_fail_open_total") >= 2


def test_datastorage_hanging_is_504_and_down_is_503(fragile: Stack) -> None:
    datastorage = fragile.processes["datastorage"]
    datastorage.send_signal(signal.SIGSTOP)
    try:
        reply = requests.post(fragile.url + "/", data="x", timeout=15)
        assert (reply.status_code, reply.json()["error"]["code"]) == (504, "timeout")
        assert requests.get(fragile.url + "/readyz", timeout=15).status_code == 503
    finally:
        datastorage.send_signal(signal.SIGCONT)
    datastorage.kill()
    datastorage.wait()
    reply = requests.post(fragile.url + "/", data="x", timeout=15)
    assert (reply.status_code, reply.json()["error"]["code"]) == (503, "unavailable")
    assert int(reply.headers["retry-after"]) > 0
    assert requests.get(fragile.url + "/readyz", timeout=15).status_code == 503
