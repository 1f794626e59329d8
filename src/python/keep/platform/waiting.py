"""Poll until something is ready: the one wait loop of the repository, built on tenacity.

Every "start a process, then wait until it answers" in Keep (the local stack, embedded Redis,
health probes, benchmarks, test fixtures) goes through `wait_until`, so each gets the same
behaviour: a fixed poll interval, a deadline that raises `TimeoutError` naming what was awaited,
and an early, clear failure when the thing being awaited can no longer become ready (its process
exited) instead of waiting out the deadline.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from typing import Any

from tenacity import RetryCallState, Retrying, retry_if_result, stop_after_delay, wait_fixed


class GaveUp(RuntimeError):
    """Waiting stopped early: what was awaited can no longer become ready."""


def exited(process: subprocess.Popen[Any]) -> Callable[[], str | None]:
    """A `gave_up` for waiting on a child process: its exit code, once it has exited."""

    def reason() -> str | None:
        code = process.poll()
        return None if code is None else f"exited with code {code}"

    return reason


def wait_until(
    ready: Callable[[], bool],
    *,
    what: str,
    timeout: float,
    interval: float = 0.05,
    gave_up: Callable[[], str | None] = lambda: None,
) -> float:
    """Calls `ready` every `interval` s until it returns True; returns the seconds it took.

    `gave_up` is asked before each poll; a reason it returns (e.g. "exited with code 1") stops the
    wait with `GaveUp(f"{what}: {reason}")`. After `timeout` s: `TimeoutError` naming `what`.
    """

    def attempt() -> bool:
        reason = gave_up()
        if reason is not None:
            raise GaveUp(f"{what}: {reason}")
        return ready()

    def timed_out(state: RetryCallState) -> bool:
        raise TimeoutError(f"{what}: not ready after {timeout:g} s")

    started = time.monotonic()
    Retrying(
        retry=retry_if_result(lambda is_ready: not is_ready),
        stop=stop_after_delay(timeout),
        wait=wait_fixed(interval),
        retry_error_callback=timed_out,
    )(attempt)
    return time.monotonic() - started
