"""Latency and errors of every Redis command a service sends, per command name.

Wraps one client instance (no subclass, so it works for any redis-py asyncio client, cluster
clients included): single commands and scripts go through `execute_command`, pipelines through
their `execute`, which is counted once as command "PIPELINE"."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from prometheus_client import Counter, Histogram
from redis import exceptions as redis_errors

COMMAND_LATENCY = Histogram(
    "keep_redis_command_latency_seconds",
    "Redis round trips as the service sees them (pool wait included), by command.",
    ["command"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0),
)
COMMAND_ERRORS = Counter(
    "keep_redis_command_errors_total",
    "Redis commands that failed, by command and kind of error.",
    ["command", "error"],
)

# Command names come from Keep's code, never from requests; this only guards the label set
# against a future caller passing something odd.
_MAX_COMMAND_LENGTH = 24

ClientT = TypeVar("ClientT")


def error_kind(error: BaseException) -> str:
    """A small, fixed set of label values."""
    if isinstance(error, redis_errors.TimeoutError | TimeoutError):
        return "timeout"
    if isinstance(error, redis_errors.ConnectionError | OSError):
        return "connection"
    if isinstance(error, redis_errors.OutOfMemoryError) or (
        isinstance(error, redis_errors.ResponseError) and str(error).startswith("OOM")
    ):
        return "oom"
    if isinstance(error, redis_errors.ResponseError):
        return "response"
    return "other"


def _command_label(args: tuple[Any, ...]) -> str:
    name = args[0] if args else "?"
    if isinstance(name, bytes):
        name = name.decode("ascii", "replace")
    name = str(name).upper()
    return name if len(name) <= _MAX_COMMAND_LENGTH and name.isascii() else "OTHER"


Timing = tuple[str, Any]  # a command's label and its latency histogram's child


class _Timings:
    """Each command name's label and latency child, worked out once: the label decodes and
    upper-cases the name, and `labels()` builds a key and takes a lock, for every command."""

    # Names come from Keep's code; this bounds the cache, not the label set.
    MAX_NAMES = 256

    def __init__(self) -> None:
        self._by_name: dict[str | bytes, Timing] = {}

    def of_command(self, *args: Any) -> Timing:
        name = args[0] if args else None
        if isinstance(name, str | bytes):
            timing = self._by_name.get(name)
            if timing is None:
                timing = self._of(_command_label(args))
                if len(self._by_name) < self.MAX_NAMES:
                    self._by_name[name] = timing
            return timing
        return self._of(_command_label(args))

    @staticmethod
    def _of(label: str) -> Timing:
        return label, COMMAND_LATENCY.labels(label)


_TIMINGS = _Timings()


def _timed(
    timing: Callable[..., Timing], call: Callable[..., Awaitable[Any]]
) -> Callable[..., Any]:
    async def timed(*args: Any, **kwargs: Any) -> Any:
        command, latency = timing(*args)
        started = time.perf_counter()
        try:
            return await call(*args, **kwargs)
        except redis_errors.NoScriptError:
            raise  # redis-py loads the script and retries: part of the protocol, not a failure
        except BaseException as e:
            COMMAND_ERRORS.labels(command, error_kind(e)).inc()
            raise
        finally:
            latency.observe(time.perf_counter() - started)

    return timed


def observe_commands(client: ClientT) -> ClientT:
    """Instruments `client` in place and returns it."""
    target: Any = client
    target.execute_command = _timed(_TIMINGS.of_command, target.execute_command)
    make_pipeline = target.pipeline
    pipeline_timing = ("PIPELINE", COMMAND_LATENCY.labels("PIPELINE"))

    def pipeline(*args: Any, **kwargs: Any) -> Any:
        pipe = make_pipeline(*args, **kwargs)
        pipe.execute = _timed(lambda *_: pipeline_timing, pipe.execute)
        return pipe

    target.pipeline = pipeline
    return client
