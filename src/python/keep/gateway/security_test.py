"""Security headers as the gateway serves them (the real app and runner set-up, no backends
needed): HSTS only when the public URL is https, and on aiohttp's own error answers too."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from keep.gateway.app import create_app
from keep.gateway.security import HSTS, add_headers_to_every_response
from keep.gateway.settings import Settings


async def _answer(port: int, data: bytes) -> dict[str, str]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(data)
    await writer.drain()
    head = (await reader.read(65536)).split(b"\r\n\r\n", 1)[0].decode("latin-1")
    writer.close()
    lines = head.split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:])
    return {"status": lines[0].split(" ")[1], **{k.lower(): v for k, v in headers.items()}}


async def _serve(public_url: str) -> AsyncIterator[int]:
    settings = Settings(public_url=public_url, datastorage_address="127.0.0.1:9")
    runner = web.AppRunner(create_app(settings))
    await runner.setup()
    add_headers_to_every_response(runner, settings.public_url)
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield runner.addresses[0][1]
    finally:
        await runner.cleanup()


REQUESTS = [
    b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /no/such/page HTTP/1.1\r\nHost: x\r\n\r\n",
    b"FOO / HTTP/1.1\r\nHost: x\r\n\r\n",  # refused by aiohttp's parser, before routing
]


@pytest.fixture
async def https_gateway() -> AsyncIterator[int]:
    async for port in _serve("https://keep.example.com"):
        yield port


@pytest.fixture
async def http_gateway() -> AsyncIterator[int]:
    async for port in _serve("http://localhost:8080"):
        yield port


@pytest.mark.parametrize("data", REQUESTS)
async def test_hsts_when_the_public_url_is_https(https_gateway: int, data: bytes) -> None:
    answer = await _answer(https_gateway, data)
    assert answer["strict-transport-security"] == HSTS
    assert answer["cache-control"] == "no-store"
    assert answer["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize("data", REQUESTS)
async def test_no_hsts_over_plain_http(http_gateway: int, data: bytes) -> None:
    answer = await _answer(http_gateway, data)
    assert "strict-transport-security" not in answer
    assert answer["referrer-policy"] == "no-referrer"
    assert "frame-ancestors 'none'" in answer["content-security-policy"]
