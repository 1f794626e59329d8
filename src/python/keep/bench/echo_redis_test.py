from collections.abc import Iterator

import grpc
import pytest
import redis

from keep.bench import echo_redis
from keep.datastorage.v1 import datastorage_pb2 as pb
from keep.datastorage.v1 import datastorage_pb2_grpc as pb_grpc
from keep.devstack.embedded_redis import EmbeddedRedis


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    server = EmbeddedRedis().start()
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture(scope="module")
def stub(redis_url: str) -> Iterator[pb_grpc.DataStorageServiceStub]:
    with echo_redis.running(redis_url) as server, grpc.insecure_channel(server.target) as channel:
        yield pb_grpc.DataStorageServiceStub(channel)


def evalsha_calls(client: redis.Redis) -> int:
    return int(client.info("commandstats").get("cmdstat_evalsha", {}).get("calls", 0))


def test_each_call_is_one_redis_round_trip_holding_the_payload(
    redis_url: str, stub: pb_grpc.DataStorageServiceStub
) -> None:
    plain = redis.Redis.from_url(redis_url)
    before = evalsha_calls(plain)
    created = stub.CreateSecret(pb.CreateSecretRequest(payload=b"x" * 1024), timeout=5)
    assert plain.get(echo_redis.key(created.id)) == b"x" * 1024
    assert 0 < plain.pttl(echo_redis.key(created.id)) <= echo_redis.TTL_MS
    revealed = stub.RevealSecret(pb.RevealSecretRequest(id=created.id), timeout=5)
    assert revealed.payload == b"x" * 1024
    assert evalsha_calls(plain) - before == 2
    assert plain.exists(echo_redis.key(created.id)) == 0
    with pytest.raises(grpc.RpcError) as gone:
        stub.RevealSecret(pb.RevealSecretRequest(id=created.id), timeout=5)
    assert gone.value.code() == grpc.StatusCode.NOT_FOUND


def test_ids_are_new_for_every_secret(stub: pb_grpc.DataStorageServiceStub) -> None:
    ids = {stub.CreateSecret(pb.CreateSecretRequest(payload=b"a"), timeout=5).id for _ in range(5)}
    assert len(ids) == 5 and all(len(i) == 22 for i in ids)
