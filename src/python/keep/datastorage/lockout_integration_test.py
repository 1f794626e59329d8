"""The brute-force policy as an attacker meets it: a stranger with the URL but not the password
can slow down only themselves, never lock out or destroy the secret for its owner."""

from __future__ import annotations

import asyncio
from collections import Counter

import grpc

from keep.datastorage.clients import client_key
from keep.platform.server import RunningServer
from keep.testing.datastorage import MARKER, Client, Code, code_of, trailers
from keep.testing.datastorage_fixtures import datastorage_fixture, redis_container_fixture
from keep.testing.redis_container import RunningRedis

redis_server = redis_container_fixture()
server = datastorage_fixture()


async def test_parallel_wrong_guesses_lock_only_the_guesser(
    server: RunningServer, redis_server: RunningRedis
) -> None:
    guesser, owner = Client(server.port, "203.0.113.7"), Client(server.port, "198.51.100.20")
    created = await owner.create()
    results = await asyncio.gather(
        *(guesser.reveal(created.id, f"guess-{i}") for i in range(25)), return_exceptions=True
    )
    errors = [r for r in results if isinstance(r, grpc.aio.AioRpcError)]
    assert len(errors) == 25
    # The lock is decided in the script that counts: exactly LOCKOUT_THRESHOLD (5) guesses are
    # judged, the other 20 are refused as locked, with the time to wait.
    assert Counter(e.code() for e in errors) == {
        Code.PERMISSION_DENIED: 5,
        Code.RESOURCE_EXHAUSTED: 20,
    }
    for error in errors:
        if error.code() is Code.RESOURCE_EXHAUSTED:
            assert trailers(error)["keep-reason"] == "locked"
            assert 1790 <= int(trailers(error)["retry-after"]) <= 1800
    assert await code_of(guesser.reveal(created.id, created.password)) is Code.RESOURCE_EXHAUSTED
    # The owner, from another address, is neither locked nor slowed: it reads at once.
    assert not (await owner.status(created.id)).locked
    assert await owner.reveal(created.id, created.password) == MARKER + b"hello"
    # Nothing of the guesser's but its lock is left, and that expires with the lock.
    keys = set(redis_server.client().scan_iter(f"keep:{{{created.id}}}:*"))
    assert keys == {f"keep:{{{created.id}}}:c:{client_key('203.0.113.7')}:lock".encode(),
                    f"keep:{{{created.id}}}:read".encode()}  # fmt: skip


async def test_one_idempotency_key_with_many_passwords_is_many_guesses(
    server: RunningServer,
) -> None:
    """The idempotency key is the caller's choice: reusing it must not make every wrong
    password count as one repeated call (a lockout bypass)."""
    guesser, owner = Client(server.port, "203.0.113.9"), Client(server.port, "198.51.100.21")
    created = await owner.create()
    codes = [await code_of(guesser.reveal(created.id, f"guess-{i}", key="k")) for i in range(6)]
    assert codes == [Code.PERMISSION_DENIED] * 5 + [Code.RESOURCE_EXHAUSTED]
    # A true repeat (same key, same password) is still one call: it is not counted again.
    again = Client(server.port, "203.0.113.10")
    repeats = [await code_of(again.reveal(created.id, "same", key="k")) for _ in range(6)]
    assert repeats == [Code.PERMISSION_DENIED] * 6
    assert await owner.reveal(created.id, created.password) == MARKER + b"hello"


async def test_no_number_of_clients_can_destroy_or_lock_the_secret(server: RunningServer) -> None:
    owner = Client(server.port, "198.51.100.20")
    created = await owner.create()
    guessers = [Client(server.port, f"192.0.2.{i}") for i in range(1, 41)]
    for guesser in guessers:  # 40 addresses x 4 wrong guesses: 160 wrong, nobody locked
        for code in await asyncio.gather(
            *(code_of(guesser.reveal(created.id, "nope")) for _ in range(4))
        ):
            assert code is Code.PERMISSION_DENIED
    assert not (await owner.status(created.id)).locked
    assert await owner.reveal(created.id, created.password) == MARKER + b"hello"
    for client in (owner, *guessers):
        await client.close()


async def test_ipv6_clients_count_per_64(server: RunningServer) -> None:
    """One IPv6 host owns a /64: rotating addresses inside it is still one client."""
    owner = Client(server.port, "2001:db8:1::1")
    created = await owner.create()
    for i in range(5):
        rotating = Client(server.port, f"2001:db8:2::{i + 1:x}")
        assert await code_of(rotating.reveal(created.id, "nope")) is Code.PERMISSION_DENIED
    locked = Client(server.port, "2001:db8:2::ffff")
    assert await code_of(locked.reveal(created.id, created.password)) is Code.RESOURCE_EXHAUSTED
    assert await owner.reveal(created.id, created.password) == MARKER + b"hello"
