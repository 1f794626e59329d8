"""Redis clients for services: fail fast, so a dead Redis becomes UNAVAILABLE, not a hang."""

from __future__ import annotations

import asyncio

from redis import exceptions as redis_errors
from redis.asyncio import Redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from keep.platform.redis_metrics import observe_commands

# What "Redis did not answer" looks like from redis-py and the sockets under it.
UNAVAILABLE_ERRORS = (
    redis_errors.ConnectionError,
    redis_errors.TimeoutError,
    redis_errors.BusyLoadingError,
    TimeoutError,
    OSError,
)


def connect(url: str, timeout_seconds: float, retries: int = 1) -> Redis:
    """Every call gives up after `timeout_seconds`, with `retries` immediate repeats on a broken
    pooled connection or a timeout (e.g. after a Redis restart) and no backoff that would queue
    callers. A repeat after a timeout may run a command twice: callers whose commands are not
    idempotent pass `retries=0` and repeat safely themselves (keep.datastorage.store). Every
    command is timed and its errors counted (keep.platform.redis_metrics)."""
    client = Redis.from_url(
        url,
        socket_timeout=timeout_seconds,
        socket_connect_timeout=timeout_seconds,
        retry=Retry(NoBackoff(), retries=retries),
        retry_on_error=[redis_errors.ConnectionError, redis_errors.TimeoutError] if retries else [],
    )
    return observe_commands(client)


async def ping(client: Redis, timeout_seconds: float) -> bool:
    """The readiness check of every Redis-backed service."""
    try:
        async with asyncio.timeout(timeout_seconds):
            return bool(await client.ping())
    except UNAVAILABLE_ERRORS:
        return False
