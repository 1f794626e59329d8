"""What a reveal sends to Redis, and rolling deploys across the claim verifier: a real Redis
container, real gRPC servers, and Redis's own MONITOR as the witness of every command."""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from keep.datastorage import crypto
from keep.datastorage.clients import client_key
from keep.datastorage.outcomes import Claimed, TooLate
from keep.datastorage.store import LockoutPolicy, SecretStore
from keep.platform.redis import connect
from keep.platform.server import RunningServer
from keep.testing.datastorage import MARKER, Client, Code, code_of
from keep.testing.datastorage_fixtures import datastorage_fixture, redis_container_fixture
from keep.testing.redis_container import RunningRedis

READER, GUESSER = "198.51.100.1", "192.0.2.66"


redis_server = redis_container_fixture()
server = datastorage_fixture()


@contextmanager
def commands_about(redis_server: RunningRedis, secret_id: str) -> Iterator[list[str]]:
    """Collects, through MONITOR, the commands clients send that name `secret_id` (commands a
    script runs inside Redis are not calls from a client, and are left out)."""
    seen: list[str] = []
    done = f"done-{secrets.token_hex(8)}"
    with redis_server.client().monitor() as monitor:  # type: ignore[no-untyped-call]

        def collect() -> None:
            for command in monitor.listen():
                if done in command["command"]:
                    return
                if command["client_type"] != "lua" and secret_id in command["command"]:
                    seen.append(command["command"])

        collector = threading.Thread(target=collect)
        collector.start()
        try:
            yield seen
        finally:
            redis_server.client().echo(done)
            collector.join(timeout=10)


async def _warm_up(client: Client) -> None:
    """Redis learns the scripts (a first EVALSHA answers NOSCRIPT and is sent again)."""
    created = await client.create()
    assert await code_of(client.reveal(created.id, "wrong")) is Code.PERMISSION_DENIED
    await client.reveal(created.id, created.password)


async def test_a_reveal_is_one_redis_call(
    server: RunningServer, redis_server: RunningRedis
) -> None:
    """Checking the password, claiming and counting a wrong guess happen in one script: one
    command per reveal (before the claim verifier: GET, PTTL, GET, then the claim script)."""
    client = Client(server.port, READER)
    await _warm_up(client)
    created = await client.create()
    with commands_about(redis_server, created.id) as wrong:
        assert await code_of(client.reveal(created.id, "wrong")) is Code.PERMISSION_DENIED
    with commands_about(redis_server, created.id) as right:
        assert await client.reveal(created.id, created.password) == MARKER + b"hello"
    with commands_about(redis_server, created.id) as again:
        assert await code_of(client.reveal(created.id, created.password)) is Code.NOT_FOUND
    assert [len(wrong), len(right), len(again)] == [1, 1, 1], (wrong, right, again)
    assert all(c.startswith("EVALSHA") for c in wrong + right + again)
    failures = f"keep:{{{created.id}}}:c:{client_key(READER)}:fails"
    assert redis_server.client().exists(failures) == 0  # the claim cleared the count
    await client.close()


def _store_as_before_verifiers(redis_server: RunningRedis, payload: bytes) -> tuple[str, str]:
    """A secret as CreateSecret stored it before claim verifiers (a replica of the previous
    release during a rolling deploy, or a secret created before the deploy): the record only."""
    secret_id, password = crypto.new_id(), crypto.new_password()
    expires_at_ms = int(time.time() * 1000) + 3_600_000
    record = crypto.seal(payload, secret_id, password, expires_at_ms)
    key = f"keep:{{{secret_id}}}:secret"
    assert redis_server.client().set(key, record.to_bytes(), pxat=expires_at_ms, nx=True)
    return secret_id, password


async def test_secrets_stored_without_a_verifier_still_reveal_once(
    server: RunningServer, redis_server: RunningRedis
) -> None:
    reader, guesser = Client(server.port, READER), Client(server.port, GUESSER)
    secret_id, password = _store_as_before_verifiers(redis_server, MARKER + b"old")
    status = await reader.status(secret_id)
    assert status.exists and not status.locked
    # A wrong password is counted and consumes nothing; the fifth locks the guesser out.
    for _ in range(5):
        assert await code_of(guesser.reveal(secret_id, "wrong")) is Code.PERMISSION_DENIED
    assert await code_of(guesser.reveal(secret_id, password)) is Code.RESOURCE_EXHAUSTED
    # The reader reveals it, a repeat of that call (same key) gets it again, nobody else does.
    assert await reader.reveal(secret_id, password, key="k") == MARKER + b"old"
    assert await reader.reveal(secret_id, password, key="k") == MARKER + b"old"
    assert await code_of(reader.reveal(secret_id, password)) is Code.NOT_FOUND
    assert not (await reader.status(secret_id)).exists
    for client in (reader, guesser):
        await client.close()


async def test_a_replica_without_verifiers_reveals_new_secrets(
    server: RunningServer, redis_server: RunningRedis
) -> None:
    """During a rolling deploy a secret created by a new replica may be revealed by an old one.
    The record is unchanged (the verifier is a key of its own), so the old protocol works:
    read, decrypt, count a wrong guess or claim (SecretStore.get, record_failure and claim are
    that protocol, kept for records without a verifier). The verifier it leaves behind is
    never used again and expires with the secret."""
    client = Client(server.port, READER)
    created = await client.create()
    old = SecretStore(connect(redis_server.url, 1.0), LockoutPolicy(5, 600, 1800), 1.0)
    try:
        who = client_key(READER)
        stored = await old.get(created.id, who)
        assert stored is not None and stored.claimed_by is None
        with pytest.raises(crypto.DecryptionFailed):
            crypto.unseal(stored.record, created.id, "wrong")
        await old.record_failure(created.id, who, secrets.token_bytes(16))
        payload = crypto.unseal(stored.record, created.id, created.password)
        assert await old.claim(created.id, who, stored, secrets.token_bytes(16))
    finally:
        await old.close()
    assert payload == MARKER + b"hello"
    assert await code_of(client.reveal(created.id, created.password)) is Code.NOT_FOUND
    verifier = f"keep:{{{created.id}}}:verifier"
    expires_at_ms = created.expires_at.seconds * 1000 + created.expires_at.nanos // 1_000_000
    left_ms = redis_server.client().pttl(verifier)
    assert 0 < left_ms <= expires_at_ms - time.time() * 1000 + 1000
    await client.close()


async def test_a_reveal_reaching_redis_after_its_deadline_does_nothing(
    server: RunningServer, redis_server: RunningRedis
) -> None:
    """Redis compares the reveal's deadline with its own clock: a reveal that arrives late
    (here: a deadline already past by more than the clock-skew grace) claims nothing and
    counts nothing, so a frozen Redis cannot spend a secret on a caller that has gone."""
    client = Client(server.port, READER)
    created = await client.create()
    store = SecretStore(connect(redis_server.url, 1.0), LockoutPolicy(5, 600, 1800), 1.0)
    right = crypto.claim_verifier(created.id, created.password)
    wrong = crypto.claim_verifier(created.id, "wrong")
    try:
        for verifier in (right, wrong):
            with pytest.raises(TooLate):
                await store.reveal(created.id, "c", verifier, secrets.token_bytes(16), -2.0)
        assert redis_server.client().exists(f"keep:{{{created.id}}}:c:c:fails") == 0
        in_time = await store.reveal(created.id, "c", right, secrets.token_bytes(16), 5.0)
        assert isinstance(in_time, Claimed)
    finally:
        await store.close()
    assert crypto.unseal(in_time.record, created.id, created.password) == MARKER + b"hello"
    await client.close()
