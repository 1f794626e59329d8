"""Redis clients for services: fail fast, so a dead Redis becomes UNAVAILABLE, not a hang."""

from __future__ import annotations

import asyncio
from typing import Any, cast

from redis import exceptions as redis_errors
from redis.asyncio import ConnectionPool, Redis, RedisCluster
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from keep.platform.redis_metrics import observe_commands
from keep.platform.redis_pipelining import PipeliningRedis

# What "Redis did not answer" looks like from redis-py and the sockets under it.
UNAVAILABLE_ERRORS = (
    redis_errors.ConnectionError,
    redis_errors.TimeoutError,
    redis_errors.BusyLoadingError,
    TimeoutError,
    OSError,
)


def connect(
    url: str,
    timeout_seconds: float,
    retries: int = 0,
    cluster: bool = False,
    pipelined: bool = False,
) -> Redis:
    """Every call gives up after `timeout_seconds`, and no backoff queues callers. By default
    nothing is repeated: a repeat after a timeout may run a command (a script!) twice, so callers
    repeat themselves where that is safe (keep.datastorage.store). `retries` > 0 repeats on a
    broken connection or timeout, for idempotent commands only. Every command is timed and its
    errors counted (keep.platform.redis_metrics).

    `cluster=True`: `url` names any node of a Redis Cluster; the client discovers the others and
    sends each command to the master of its keys' slot (MOVED/ASK redirects are followed; they
    are not repeats: the command did not run).

    `pipelined=True` (a single Redis; no effect with `cluster`): concurrent callers' commands
    share one connection and one write per event-loop turn (keep.platform.redis_pipelining),
    for services that send many small commands at once."""
    if pipelined and retries:
        raise ValueError("a pipelined client does not repeat commands: retries must be 0")
    options: dict[str, Any] = {
        "socket_timeout": timeout_seconds,
        "socket_connect_timeout": timeout_seconds,
        "retry": Retry(NoBackoff(), retries=retries),
        "retry_on_error": (
            [redis_errors.ConnectionError, redis_errors.TimeoutError] if retries else []
        ),
    }
    if cluster:
        # The cluster client fails (MaxConnectionsError) rather than waits past its per-node
        # cap (100); the single-node pool has none. Same behaviour on both: a high cap.
        client: Any = RedisCluster.from_url(url, max_connections=10_000, **options)
    elif pipelined:
        client = PipeliningRedis(ConnectionPool.from_url(url, **options), timeout_seconds)
    else:
        client = Redis.from_url(url, **options)
    # Typed as Redis: RedisCluster offers the same commands, scripts and pipelines (no MULTI).
    return cast(Redis, observe_commands(client))


async def load_scripts(client: Redis, *sources: str) -> None:
    """On a cluster, SCRIPT LOAD on every master before first use: redis-py's cluster client
    loses connections (ConnectionError) when many calls of a script not yet loaded run at once.
    A single Redis needs nothing (redis-py loads a script on its first NOSCRIPT)."""
    if not isinstance(client, RedisCluster):
        return
    for source in sources:
        await client.script_load(source)


async def ping(client: Redis, timeout_seconds: float) -> bool:
    """The readiness check of every Redis-backed service."""
    try:
        async with asyncio.timeout(timeout_seconds):
            return bool(await client.ping())
    except UNAVAILABLE_ERRORS:
        return False
