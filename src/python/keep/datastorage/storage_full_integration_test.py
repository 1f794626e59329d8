"""A full Redis (maxmemory reached, `noeviction`) refuses new secrets with a clear status and
keeps every stored secret revealable: a real Redis container with a small maxmemory."""

from __future__ import annotations

import asyncio
import os

import grpc

from keep.datastorage.v1 import datastorage_pb2 as pb
from keep.platform.server import RunningServer
from keep.testing.datastorage import Client, Code, code_of, trailers
from keep.testing.datastorage_fixtures import datastorage_fixture, redis_container_fixture

PAYLOAD_BYTES = 64 * 1024


redis_server = redis_container_fixture("--maxmemory", "4mb", "--maxmemory-policy", "noeviction")
server = datastorage_fixture(tombstone_seconds=1)


async def test_full_storage_refuses_creates_clearly_and_reveals_keep_working(
    server: RunningServer,
) -> None:
    client = Client(server.port, "192.0.2.10")
    stored: list[tuple[pb.CreateSecretResponse, bytes]] = []
    full: grpc.aio.AioRpcError | None = None
    for _ in range(200):  # 4 MB fills after a few dozen 64 KiB secrets
        payload = os.urandom(PAYLOAD_BYTES)
        try:
            stored.append((await client.create(payload), payload))
        except grpc.aio.AioRpcError as e:
            full = e
            break
    assert full is not None, "Redis never filled up"
    assert len(stored) >= 10
    assert full.code() is Code.RESOURCE_EXHAUSTED
    assert trailers(full)["keep-reason"] == "storage_full"
    assert "storage is full" in (full.details() or "")
    # Still full: a wrong guess is refused (uncounted), every stored secret is revealed once.
    first, _ = stored[0]
    assert await code_of(client.reveal(first.id, "wrong")) is Code.PERMISSION_DENIED
    for created, payload in stored:
        assert await client.reveal(created.id, created.password) == payload
        assert await code_of(client.reveal(created.id, created.password)) is Code.NOT_FOUND
    # Reveals free the memory once their tombstones expire: creating works again.
    await asyncio.sleep(1.2)
    assert (await client.create(b"after")).id
