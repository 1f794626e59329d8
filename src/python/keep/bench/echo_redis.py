"""The floor under data-storage: the bare grpc.aio echo server (keep.bench.echo) plus one Redis
round trip per RPC, of the shape data-storage makes, run as its own process.

    python -m keep.bench.echo_redis --port 50098 --redis-url redis://127.0.0.1:6379

Per RPC, one EVALSHA of a small Lua script through `keep.platform.redis.connect(...,
pipelined=True)`, the client data-storage uses: CreateSecret writes the request's payload under a
new id (with a TTL), RevealSecret reads and deletes it and answers with it. No encryption,
lockout, tombstones, logging, metrics or interceptors. `data-storage / (echo + Redis)` is then
what data-storage's own work costs on top of the parts every implementation of this API on
grpc.aio + Redis pays for.
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

import grpc
from redis.asyncio import Redis

from keep.bench.echo import Context, EchoService, Server, running_module, serve
from keep.datastorage.v1 import datastorage_pb2 as pb
from keep.platform.redis import connect

# Like scripts.CREATE: the value and its expiry in one call.
WRITE = "redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1"
# Like scripts.REVEAL's winner: read and delete in one call.
READ_ONCE = "local value = redis.call('GET', KEYS[1]) redis.call('DEL', KEYS[1]) return value"
# Long enough for any benchmark's create-then-reveal; short enough to leave nothing behind.
TTL_MS = 60_000
REDIS_TIMEOUT_SECONDS = 0.4  # keep.datastorage.settings' default
_PASSWORD = "echo-echo-echo-echo-ec"


def key(secret_id: str) -> str:
    return f"keep-bench:{{{secret_id}}}"


class EchoRedisService(EchoService):
    """EchoService whose create and reveal each make one Redis round trip."""

    def __init__(self, redis: Redis, write_sha: str, read_sha: str) -> None:
        super().__init__()
        self._redis = redis
        self._write = write_sha
        self._read = read_sha

    async def CreateSecret(
        self, request: pb.CreateSecretRequest, context: Context
    ) -> pb.CreateSecretResponse:
        secret_id = secrets.token_urlsafe(16)  # 22 characters, like a real id
        await self._redis.evalsha(self._write, 1, key(secret_id), request.payload, TTL_MS)
        return pb.CreateSecretResponse(id=secret_id, password=_PASSWORD)

    async def RevealSecret(
        self, request: pb.RevealSecretRequest, context: Context
    ) -> pb.RevealSecretResponse:
        payload = await self._redis.evalsha(self._read, 1, key(request.id))
        if payload is None:
            await context.abort(grpc.StatusCode.NOT_FOUND, "No such secret.")
        return pb.RevealSecretResponse(payload=payload)


async def _serve(port: int, redis_url: str) -> None:
    # As keep.datastorage.main connects: auto-pipelined, its default timeout.
    redis = connect(redis_url, REDIS_TIMEOUT_SECONDS, pipelined=True)
    write_sha = await redis.script_load(WRITE)
    read_sha = await redis.script_load(READ_ONCE)
    await serve(port, EchoRedisService(redis, write_sha, read_sha))


@contextmanager
def running(redis_url: str, timeout: float = 30.0) -> Iterator[Server]:
    """Starts the echo + Redis server in a child process."""
    with running_module(__name__, ["--redis-url", redis_url], timeout) as server:
        yield server


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--redis-url", required=True)
    args = parser.parse_args()
    asyncio.run(_serve(args.port, args.redis_url))


if __name__ == "__main__":
    main()
