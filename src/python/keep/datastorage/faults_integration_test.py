"""Lost and late Redis replies during reveals and wrong guesses: a real Redis container behind
a fault-injecting TCP proxy (keep.testing.fault_proxy) that loses replies past the Redis
timeout. No reveal may lose a secret or misreport it; no wrong guess may be counted twice."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Iterator

import grpc
import pytest

from keep.datastorage.clients import client_key
from keep.datastorage.v1 import datastorage_pb2 as pb
from keep.platform.server import RunningServer
from keep.testing.datastorage import MARKER, Client, Code, code_of, start_datastorage
from keep.testing.fault_proxy import FaultProxy
from keep.testing.redis_container import RunningRedis, redis_container

REDIS_TIMEOUT = 0.2
SECRETS = 40
WRONG_GUESSES = 3
GUESSER, READER, OTHER = "192.0.2.66", "198.51.100.1", "203.0.113.9"


@pytest.fixture(scope="module")
def redis_server() -> Iterator[RunningRedis]:
    with redis_container() as running:
        yield running


@pytest.fixture
async def proxy(redis_server: RunningRedis) -> AsyncIterator[FaultProxy]:
    running = await FaultProxy(
        "127.0.0.1",
        redis_server.host_port,
        delay_seconds=REDIS_TIMEOUT + 0.15,
        reply_loss=0.1,
        script_reply_loss=0.5,
        script_request_delay=0.2,
        seed=11,
    ).start()
    yield running
    await running.stop()


@pytest.fixture
async def server(proxy: FaultProxy) -> AsyncIterator[RunningServer]:
    # A high threshold: every wrong guess is counted, none is refused as locked.
    running = await start_datastorage(
        proxy.url, redis_timeout_seconds=REDIS_TIMEOUT, lockout_threshold=1000
    )
    yield running
    await running.stop()


async def _outcome(call: object) -> bytes | Code:
    try:
        result = await call  # type: ignore[misc]
    except grpc.aio.AioRpcError as e:
        return e.code()
    return bytes(result)


async def _revealed_exactly_once(
    reader: Client,
    other: Client,
    secret: pb.CreateSecretResponse,
    first: bytes | Code,
    expected: bytes,
) -> None:
    """The reader's first outcome was the payload, or UNAVAILABLE and repeating the same call
    (same idempotency key) gets it now; anyone else, even with the password, finds nothing."""
    if first is Code.UNAVAILABLE:
        assert await reader.reveal(secret.id, secret.password, key=f"read-{secret.id}") == expected
    else:
        assert first == expected
    assert await code_of(other.reveal(secret.id, secret.password)) is Code.NOT_FOUND


async def test_lost_replies_never_lose_a_secret_nor_double_count(
    server: RunningServer, proxy: FaultProxy, redis_server: RunningRedis
) -> None:
    guesser, reader = Client(server.port, GUESSER), Client(server.port, READER)
    created = [await reader.create(MARKER + b"%d" % i) for i in range(SECRETS)]

    # Wrong guesses under faults: each is judged, or UNAVAILABLE; then repeated (same key)
    # without faults until judged. The counter must equal the guesses made, no more.
    async def guess(secret_id: str, n: int) -> Code:
        return await code_of(guesser.reveal(secret_id, "wrong", key=f"guess-{n}"))

    proxy.enabled = True
    guesses = await asyncio.gather(*(guess(c.id, n) for c in created for n in range(WRONG_GUESSES)))
    proxy.enabled = False
    assert set(guesses) <= {Code.PERMISSION_DENIED, Code.UNAVAILABLE}, Counter(guesses)
    for c in created:
        for n in range(WRONG_GUESSES):
            assert await guess(c.id, n) is Code.PERMISSION_DENIED
        failures = f"keep:{{{c.id}}}:c:{client_key(GUESSER)}:fails"
        assert redis_server.client().hlen(failures) == WRONG_GUESSES

    # Reveals under faults: the payload, or UNAVAILABLE. Never NOT_FOUND: nobody read them.
    # One at a time: the service pipelines all its Redis calls on one connection, so concurrent
    # claims would share one reply and one fault; in turn, each claim risks its own.
    proxy.enabled = True
    reveals = [await _outcome(reader.reveal(c.id, c.password, key=f"read-{c.id}")) for c in created]
    proxy.enabled = False
    # Stragglers the proxy held back land now; let them, before checking what they did.
    await asyncio.sleep(proxy.delay_seconds * 2)
    outcomes = Counter(r if isinstance(r, Code) else "payload" for r in reveals)
    assert set(outcomes) <= {"payload", Code.UNAVAILABLE}, outcomes
    print(f"reveals: {outcomes}, guesses: {Counter(guesses)}, faults: {proxy.faults}")
    other = Client(server.port, OTHER)
    for i, (c, first) in enumerate(zip(created, reveals, strict=True)):
        await _revealed_exactly_once(reader, other, c, first, MARKER + b"%d" % i)
    await other.close()

    # The faults really hit the claims (the scenario is not vacuous).
    assert proxy.faults["dropped_reply"] + proxy.faults["delayed_reply"] >= SECRETS // 2
    assert proxy.faults["delayed_request"] > 0


BATCH, MAX_ROUNDS = 20, 15


async def test_concurrent_reveals_sharing_one_faulty_connection_lose_nothing(
    server: RunningServer, proxy: FaultProxy
) -> None:
    """The one-at-a-time phase above gives each claim its own fault; here a batch of claims is
    in flight at once on the service's one pipelined Redis connection, so one lost reply fails
    many of them together. Each must still be revealable by repeating its call, and by nobody
    else. Batches repeat until faults have failed some claims (a batch shares few replies, so
    one batch may see none)."""
    reader, other = Client(server.port, READER), Client(server.port, OTHER)
    outcomes: Counter[object] = Counter()
    for batch in range(MAX_ROUNDS):
        created = [await reader.create(MARKER + b"%d.%d" % (batch, i)) for i in range(BATCH)]
        proxy.enabled = True
        reveals = await asyncio.gather(
            *(_outcome(reader.reveal(c.id, c.password, key=f"read-{c.id}")) for c in created)
        )
        proxy.enabled = False
        await asyncio.sleep(proxy.delay_seconds * 2)  # let held-back stragglers land first
        for i, (c, first) in enumerate(zip(created, reveals, strict=True)):
            outcomes[first if isinstance(first, Code) else "payload"] += 1
            await _revealed_exactly_once(reader, other, c, first, MARKER + b"%d.%d" % (batch, i))
        if outcomes[Code.UNAVAILABLE]:
            break
    print(f"concurrent reveals: {outcomes}, faults: {proxy.faults}")
    assert set(outcomes) <= {"payload", Code.UNAVAILABLE}, outcomes
    # Not vacuous: faults hit whole batches of claims.
    assert outcomes[Code.UNAVAILABLE] > 0, (outcomes, proxy.faults)
