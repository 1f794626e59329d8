import json
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest

from keep.bench import echo_redis, http_floor
from keep.devstack.embedded_redis import EmbeddedRedis


@pytest.fixture(scope="module")
def edge_url() -> Iterator[str]:
    """The minimal edge in front of echo + Redis: a real DataStorageService that forgets a
    secret once revealed (NOT_FOUND after), without data-storage's start-up."""
    redis = EmbeddedRedis().start()
    try:
        with echo_redis.running(redis.url) as backend, http_floor.running(backend.target) as edge:
            yield edge.target
    finally:
        redis.stop()


def post(url: str, body: bytes) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, body), timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def test_create_then_reveal_answers_as_the_curl_contract(edge_url: str) -> None:
    status, body = post(edge_url + "/", b"\x00\xffsecret")
    assert status == 201
    created = json.loads(body)
    assert set(created) == {"id", "url", "password", "share_url", "expires_at"}
    assert created["url"] == f"{edge_url}/{created['id']}"
    assert created["share_url"] == f"{created['url']}#{created['password']}"
    assert post(created["url"], created["password"].encode()) == (200, b"\x00\xffsecret")


def test_a_backend_refusal_becomes_its_http_status(edge_url: str) -> None:
    _, body = post(edge_url + "/", b"once")
    created = json.loads(body)
    assert post(created["url"], created["password"].encode())[0] == 200
    assert post(created["url"], created["password"].encode()) == (404, b"NOT_FOUND")
