import itertools
import subprocess
import sys

import pytest

from keep.platform.waiting import GaveUp, exited, wait_until


def test_returns_once_ready_after_polling() -> None:
    polls = itertools.count()
    waited = wait_until(lambda: next(polls) >= 3, what="thing", timeout=5, interval=0.01)
    assert next(polls) == 4  # polled four times: 0, 1, 2 not ready, 3 ready
    assert waited >= 0.03


def test_times_out_naming_what_was_awaited() -> None:
    with pytest.raises(TimeoutError, match="^redis on 6379: not ready after 0.1 s$"):
        wait_until(lambda: False, what="redis on 6379", timeout=0.1, interval=0.01)


def test_gives_up_early_with_the_reason() -> None:
    polls = itertools.count()
    with pytest.raises(GaveUp, match="^gateway: exited with code 3$"):
        wait_until(
            lambda: False,
            what="gateway",
            timeout=30,
            interval=0.01,
            gave_up=lambda: "exited with code 3" if next(polls) == 2 else None,
        )


def test_exceptions_from_the_probe_propagate_unchanged() -> None:
    def probe() -> bool:
        raise ValueError("bad probe")

    with pytest.raises(ValueError, match="bad probe"):
        wait_until(probe, what="x", timeout=5)


def test_waiting_on_a_process_gives_up_when_it_exits() -> None:
    process = subprocess.Popen([sys.executable, "-c", "raise SystemExit(3)"])
    with pytest.raises(GaveUp, match="^child: exited with code 3$"):
        wait_until(lambda: False, what="child", timeout=30, gave_up=exited(process))
