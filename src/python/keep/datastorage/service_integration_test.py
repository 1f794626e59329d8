"""The whole DataStorageService API against a real Redis container and real gRPC servers."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator

import grpc
import pytest
from grpc_health.v1 import health_pb2

from keep.datastorage.store import LATE_REVEAL_GRACE_MS
from keep.datastorage.v1 import datastorage_pb2 as pb
from keep.devstack.ports import free_port
from keep.platform.server import RunningServer
from keep.testing.datastorage import MARKER, Client, Code, trailers
from keep.testing.datastorage import code_of as _code_of
from keep.testing.datastorage import start_datastorage as _start
from keep.testing.health import health_status
from keep.testing.redis_container import RunningRedis, redis_container


@pytest.fixture(scope="module")
def redis_server() -> Iterator[RunningRedis]:
    with redis_container() as running:
        yield running
        _assert_every_key_expires_and_holds_no_plaintext(running)


def _assert_every_key_expires_and_holds_no_plaintext(running: RunningRedis) -> None:
    client = running.client()
    for key in client.scan_iter("*"):
        assert client.pttl(key) > 0, f"{key!r} has no TTL"
        if client.type(key) == b"string":
            value = client.get(key)
            assert isinstance(value, bytes) and MARKER not in value, f"{key!r} holds plaintext"


@pytest.fixture
async def server(redis_server: RunningRedis) -> AsyncIterator[RunningServer]:
    running = await _start(redis_server)
    yield running
    await running.stop()


async def test_create_status_reveal_once(server: RunningServer) -> None:
    client = Client(server.port)
    created = await client.create(MARKER + b"s3cr3t", ttl=3600)
    assert len(created.id) == 22 and len(created.password) == 22 and created.id != created.password
    assert abs(created.expires_at.seconds - (time.time() + 3600)) < 5
    for _ in range(3):  # status never consumes
        status = await client.status(created.id)
        assert status.exists and not status.locked
        assert status.expires_at == created.expires_at
    assert await client.reveal(created.id, created.password) == MARKER + b"s3cr3t"
    assert not (await client.status(created.id)).exists
    assert await _code_of(client.reveal(created.id, created.password)) is Code.NOT_FOUND


async def test_burn_destroys_without_revealing(server: RunningServer) -> None:
    client = Client(server.port)
    created = await client.create()
    assert await _code_of(client.burn(created.id, "wrong-password")) is Code.PERMISSION_DENIED
    await client.burn(created.id, created.password)
    assert await _code_of(client.reveal(created.id, created.password)) is Code.NOT_FOUND


async def test_default_ttl_is_one_day(server: RunningServer) -> None:
    created = await Client(server.port).create()
    assert abs(created.expires_at.seconds - (time.time() + 86400)) < 5


@pytest.mark.parametrize(
    ("payload", "ttl", "message"),
    [
        (b"", None, "payload is empty"),
        (b"x" * (64 * 1024 + 1), None, "the limit is 65536 bytes"),
        (b"x", 59, "ttl must be between 60 s"),
        (b"x", 7 * 24 * 3600 + 1, "ttl must be between 60 s"),
        (b"x", 0, "ttl must be between 60 s"),
    ],
)
async def test_invalid_creates(
    server: RunningServer, payload: bytes, ttl: int | None, message: str
) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as error:
        await Client(server.port).create(payload, ttl)
    assert error.value.code() is Code.INVALID_ARGUMENT
    assert message in (error.value.details() or "")


async def test_payload_far_over_the_cap_is_refused_by_grpc(server: RunningServer) -> None:
    code = await _code_of(Client(server.port).create(b"x" * (1024 * 1024)))
    assert code is Code.RESOURCE_EXHAUSTED


async def test_payload_exactly_at_the_cap_is_accepted(server: RunningServer) -> None:
    client = Client(server.port)
    created = await client.create(MARKER + b"x" * (64 * 1024 - len(MARKER)))
    assert len(await client.reveal(created.id, created.password)) == 64 * 1024


@pytest.mark.parametrize("bad_id", ["", "short", "../../etc/passwd", "a" * 23, "*" * 22])
async def test_malformed_ids(server: RunningServer, bad_id: str) -> None:
    client = Client(server.port)
    assert await _code_of(client.reveal(bad_id, "pw")) is Code.INVALID_ARGUMENT
    assert await _code_of(client.status(bad_id)) is Code.INVALID_ARGUMENT
    assert await _code_of(client.burn(bad_id, "pw")) is Code.INVALID_ARGUMENT


async def test_empty_password_is_invalid(server: RunningServer) -> None:
    created = await Client(server.port).create()
    assert await _code_of(Client(server.port).reveal(created.id, "")) is Code.INVALID_ARGUMENT


async def test_unknown_expired_and_read_secrets_look_the_same(
    server: RunningServer, redis_server: RunningRedis
) -> None:
    client = Client(server.port)
    read = await client.create()
    await client.reveal(read.id, read.password)
    expired = await client.create()
    redis_server.client().pexpire(f"keep:{{{expired.id}}}:secret", 1)
    await asyncio.sleep(0.05)
    details = set()
    for secret_id, password in [
        ("A" * 22, "pw"),
        (expired.id, expired.password),
        (read.id, read.password),
    ]:
        with pytest.raises(grpc.aio.AioRpcError) as error:
            await client.reveal(secret_id, password)
        assert error.value.code() is Code.NOT_FOUND
        details.add(error.value.details())
    assert len(details) == 1


async def test_wrong_password_never_consumes(server: RunningServer) -> None:
    client = Client(server.port)
    created = await client.create()
    for _ in range(4):
        assert (
            await _code_of(client.reveal(created.id, "not-the-password")) is Code.PERMISSION_DENIED
        )
    assert await client.reveal(created.id, created.password) == MARKER + b"hello"


async def test_deadline_exceeded_while_redis_hangs(
    server: RunningServer, redis_server: RunningRedis
) -> None:
    """A frozen (not dead) Redis: the caller's deadline wins, and nothing is consumed."""
    client = Client(server.port)
    warm_up = await client.create()  # Redis then knows the reveal script: a frozen Redis
    await client.reveal(warm_up.id, warm_up.password)  # gets the reveal itself, not NOSCRIPT
    created = await client.create()
    container = redis_server.container.get_wrapped_container()
    container.pause()
    try:
        call = client.stub.RevealSecret(
            pb.RevealSecretRequest(id=created.id, password=created.password), timeout=0.2
        )
        assert await _code_of(call) is Code.DEADLINE_EXCEEDED
        # Redis runs the queued reveal once unfrozen; past the deadline (and the clock-skew
        # grace) it does nothing: a payload claimed then would reach nobody.
        await asyncio.sleep(LATE_REVEAL_GRACE_MS / 1000 + 0.3)
    finally:
        container.unpause()
    assert await client.reveal(created.id, created.password) == MARKER + b"hello"


async def test_concurrent_correct_reveals_have_exactly_one_winner(
    redis_server: RunningRedis,
) -> None:
    """100 concurrent correct reveals per secret over two server instances, wrong-password
    callers mixed in: exactly one success, 99 NOT_FOUND, and wrong passwords never consume."""
    servers = [await _start(redis_server), await _start(redis_server)]
    clients = [Client(s.port) for s in servers]
    try:
        for round_number in range(20):
            created = await clients[0].create(MARKER + str(round_number).encode())
            correct = [clients[i % 2].reveal(created.id, created.password) for i in range(100)]
            wrong = [clients[i % 2].reveal(created.id, "wrong-password") for i in range(3)]
            results = await asyncio.gather(*correct, *wrong, return_exceptions=True)
            outcomes = Counter(
                r.code().name if isinstance(r, grpc.aio.AioRpcError) else "ok"
                for r in results[:100]
            )
            assert outcomes == {"ok": 1, "NOT_FOUND": 99}, outcomes
            assert (
                next(r for r in results if isinstance(r, bytes))
                == MARKER + str(round_number).encode()
            )
            for r in results[100:]:
                assert isinstance(r, grpc.aio.AioRpcError)
                assert r.code() in (Code.PERMISSION_DENIED, Code.NOT_FOUND)
    finally:
        for s in servers:
            await s.stop()


async def test_lockout_after_five_failures_is_per_client(redis_server: RunningRedis) -> None:
    server = await _start(redis_server, lockout_seconds=2)
    guesser, owner = Client(server.port, "192.0.2.1"), Client(server.port, "192.0.2.2")
    try:
        created = await owner.create()
        for _ in range(5):
            assert await _code_of(guesser.reveal(created.id, "wrong")) is Code.PERMISSION_DENIED
        assert (await guesser.status(created.id)).locked
        assert not (await owner.status(created.id)).locked
        with pytest.raises(grpc.aio.AioRpcError) as error:
            await guesser.reveal(created.id, created.password)  # even the right password waits
        assert error.value.code() is Code.RESOURCE_EXHAUSTED
        assert 1 <= int(trailers(error.value)["retry-after"]) <= 2
        await asyncio.sleep(2.1)
        assert await guesser.reveal(created.id, created.password) == MARKER + b"hello"
    finally:
        await server.stop()


async def test_unreachable_redis_is_unavailable_within_a_second() -> None:
    server = await _start(f"redis://127.0.0.1:{free_port()}/0")
    client = Client(server.port)
    try:
        assert (
            await health_status(server.port, "liveness") == health_pb2.HealthCheckResponse.SERVING
        )
        assert (
            await health_status(server.port, "readiness")
            == health_pb2.HealthCheckResponse.NOT_SERVING
        )
        for call in (client.create(), client.reveal("A" * 22, "pw"), client.status("A" * 22)):
            started = time.perf_counter()
            assert await _code_of(call) is Code.UNAVAILABLE
            assert time.perf_counter() - started < 1.0
    finally:
        await server.stop()


async def test_redis_restart_mid_load() -> None:
    """Stop Redis under load: only UNAVAILABLE/DEADLINE_EXCEEDED, never a double reveal, and
    back to >= 99 % success within 10 s of Redis returning, without restarting the service."""
    with redis_container() as redis_server:
        server = await _start(redis_server)
        client = Client(server.port)
        errors: Counter[str] = Counter()
        revealed: list[tuple[str, str]] = []
        phase = {"name": "before"}
        after: Counter[str] = Counter()
        stop = asyncio.Event()

        async def worker() -> None:
            while not stop.is_set():
                try:
                    created = await client.create()
                    assert await client.reveal(created.id, created.password) == MARKER + b"hello"
                    revealed.append((created.id, created.password))
                    if phase["name"] == "recovered":
                        after["ok"] += 1
                except grpc.aio.AioRpcError as e:
                    errors[e.code().name] += 1
                    if phase["name"] == "recovered":
                        after["error"] += 1
                    await asyncio.sleep(0.01)

        workers = [asyncio.create_task(worker()) for _ in range(16)]
        try:
            await asyncio.sleep(1)
            phase["name"] = "down"
            await asyncio.to_thread(redis_server.stop)
            await asyncio.sleep(2)
            await asyncio.to_thread(redis_server.start)
            restarted = time.monotonic()
            while (
                await health_status(server.port, "readiness")
                != health_pb2.HealthCheckResponse.SERVING
            ):
                assert time.monotonic() - restarted < 10, "readiness did not recover"
                await asyncio.sleep(0.1)
            phase["name"] = "recovered"
            await asyncio.sleep(3)
        finally:
            stop.set()
            await asyncio.gather(*workers)
        assert set(errors) <= {"UNAVAILABLE", "DEADLINE_EXCEEDED"}, errors
        assert errors, "the outage was not observed"
        assert after["ok"] / (after["ok"] + after["error"]) >= 0.99, after
        for secret_id, password in revealed:  # zero double reveals
            assert await _code_of(client.reveal(secret_id, password)) is Code.NOT_FOUND
        await server.stop()
