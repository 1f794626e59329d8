import asyncio
import contextlib
import datetime
import io
import json
import logging
import math
import os
import subprocess
import sys
import threading
import time
from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags

from keep.platform.logs import configure_logging, info_line, redact_id

CALLER = SpanContext(
    trace_id=0x4BF92F3577B34DA6A3CE929D0E0E4736,
    span_id=0x00F067AA0BA902B7,
    is_remote=True,
    trace_flags=TraceFlags(TraceFlags.SAMPLED),
)


def test_logs_are_one_json_object_per_line(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("demo", "INFO")
    logging.getLogger("keep.demo").info("created", extra={"secret_id": redact_id("abcdefghijkl")})
    logging.getLogger("keep.demo").debug("hidden below INFO")
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1
    record = json.loads(lines[0])
    assert record["severity"] == "INFO"
    assert record["service"] == "demo"
    assert record["message"] == "created"
    assert record["logger"] == "keep.demo"
    assert record["secret_id"] == "abcdef…"
    assert "time" in record


def test_redact_id_never_shows_a_whole_short_id() -> None:
    assert redact_id("abc") == "…"


def test_a_line_written_in_a_span_carries_its_ids(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("demo", "INFO")
    with trace.use_span(NonRecordingSpan(CALLER)):
        logging.getLogger("keep.demo").warning("slow", extra={"ms": 12})
    out = capsys.readouterr().out
    assert out.endswith("}\n") and out.count("\n") == 1
    record = json.loads(out)
    assert list(record) == [
        "severity", "logger", "message", "service", "ms", "trace_id", "span_id", "time"
    ]  # fmt: skip
    assert (record["trace_id"], record["span_id"]) == (
        "4bf92f3577b34da6a3ce929d0e0e4736",
        "00f067aa0ba902b7",
    )


def test_a_line_that_cannot_be_written_is_reported_not_raised(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging("demo", "INFO")
    circular: list[object] = []
    circular.append(circular)
    logging.getLogger("keep.demo").info("odd", extra={"value": circular})  # must not raise
    logging.getLogger("keep.demo").info("next")
    captured = capsys.readouterr()
    assert "--- Logging error ---" in captured.err
    assert [json.loads(line)["message"] for line in captured.out.splitlines()] == ["next"]


FIELD_SHAPES: dict[str, dict[str, Any]] = {
    "audit line": {"secret_id": "abcdef…", "ttl": 3600},
    "no fields": {},
    "values json cannot encode": {"raw": b"\xff", "when": datetime.date(2026, 12, 1), "n": None},
    "floats and nesting": {"ms": 1.25, "nan": math.nan, "nested": {"k": [1, (2, 3)]}},
    "private field": {"_hidden": 1, "shown": "ünï ✓"},
    "fields named like line fields": {"service": "other", "time": "x"},
    "a field named like a trace id": {"trace_id": "mine"},
}


@pytest.fixture
def frozen_time(monkeypatch: pytest.MonkeyPatch) -> float:
    """Both ways read the same clock: lines made at the same instant must be equal bytes."""
    now = 1764619200.123456
    monkeypatch.setattr(time, "time", lambda: now)
    return now


@pytest.mark.parametrize("in_span", [False, True])
@pytest.mark.parametrize("shape", FIELD_SHAPES)
def test_info_line_writes_the_line_logger_info_writes(
    shape: str, in_span: bool, frozen_time: float, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging("demo", "INFO")
    logger = logging.getLogger("keep.demo")
    with trace.use_span(NonRecordingSpan(CALLER)) if in_span else contextlib.nullcontext():
        logger.info("created", extra=FIELD_SHAPES[shape])
        info_line(logger, "created", FIELD_SHAPES[shape])
    usual, fast = capsys.readouterr().out.splitlines()
    assert fast == usual


def test_info_line_keeps_to_levels_and_disabled_loggers(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("demo", "WARNING")
    info_line(logging.getLogger("keep.demo"), "below the level", {})
    configure_logging("demo", "INFO")
    logging.disable(logging.INFO)
    try:
        info_line(logging.getLogger("keep.demo"), "logging disabled", {})
    finally:
        logging.disable(logging.NOTSET)
    logging.getLogger("keep.demo.off").disabled = True
    info_line(logging.getLogger("keep.demo.off"), "logger disabled", {})
    info_line(logging.getLogger("keep.demo"), "written", {})
    assert [json.loads(line)["message"] for line in capsys.readouterr().out.splitlines()] == [
        "written"
    ]


class Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def test_info_line_gives_other_handlers_and_filters_the_record_logger_info_makes(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging("demo", "INFO")
    logger = logging.getLogger("keep.demo.handled")
    other = Records()
    logger.addHandler(other)
    try:
        info_line(logger, "to both", {"n": 1})  # this line
        logger.info("to both", extra={"n": 1})
        logger.addFilter(lambda record: record.getMessage() != "dropped")
        info_line(logger, "dropped", {})
    finally:
        logger.removeHandler(other)
        logger.filters.clear()
    fast, usual = other.records
    assert (
        (fast.funcName, fast.filename)
        == (usual.funcName, usual.filename)
        == (
            "test_info_line_gives_other_handlers_and_filters_the_record_logger_info_makes",
            "logs_test.py",
        )
    )  # the caller's frame, as logger.info finds it
    assert (fast.levelno, fast.getMessage(), fast.n) == (logging.INFO, "to both", 1)  # type: ignore[attr-defined]
    lines = capsys.readouterr().out.splitlines()
    assert [json.loads(line)["message"] for line in lines] == ["to both", "to both"]


def test_info_line_refuses_and_reports_what_logger_info_does(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging("demo", "INFO")
    logger = logging.getLogger("keep.demo")
    with pytest.raises(KeyError, match="overwrite"):
        info_line(logger, "x", {"message": "a record attribute"})
    circular: list[object] = []
    circular.append(circular)
    info_line(logger, "odd", {"value": circular})  # reported, not raised, nothing written
    info_line(logger, "next", {})
    captured = capsys.readouterr()
    assert "--- Logging error ---" in captured.err
    assert [json.loads(line)["message"] for line in captured.out.splitlines()] == ["next"]


class Writes(io.StringIO):
    """Counts the writes that reach the stream."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[str] = []

    def write(self, text: str) -> int:
        self.writes.append(text)
        return super().write(text)


def test_lines_of_one_loop_turn_leave_together_in_order(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    stream = Writes()
    monkeypatch.setattr(sys, "stdout", stream)
    configure_logging("demo", "INFO")
    logger = logging.getLogger("keep.demo")

    async def requests() -> list[str]:
        info_line(logger, "one", {})
        logger.warning("two")
        info_line(logger, "three", {})
        waiting = list(stream.writes)
        await asyncio.sleep(0)  # the end of this turn
        info_line(logger, "four", {})
        # Another thread logs within this turn: the waiting line goes first, then its own.
        other = threading.Thread(target=logger.info, args=("five",))
        other.start()
        other.join()
        return waiting

    assert asyncio.run(requests()) == []
    assert [[json.loads(line)["message"] for line in write.splitlines()] for write in stream.writes] == [
        ["one", "two", "three"], ["four"], ["five"]
    ]  # fmt: skip


SHUTDOWN_SCRIPT = """
import asyncio, logging
from keep.platform.logs import configure_logging, info_line

configure_logging("demo", "INFO")
logger = logging.getLogger("keep.demo")
loop = asyncio.new_event_loop()

def lines():
    for n in range(1000):
        info_line(logger, "line", {"n": n})
    logger.info("last")
    loop.stop()  # the loop ends with this turn: the lines still wait

loop.call_soon(lines)
loop.run_forever()
print("loop stopped", flush=True)
"""


def test_lines_still_waiting_at_exit_are_written_in_order() -> None:
    finished = subprocess.run(
        [sys.executable, "-c", SHUTDOWN_SCRIPT], capture_output=True, text=True, timeout=60,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )  # fmt: skip
    assert finished.returncode == 0, finished.stderr
    stopped, *written = finished.stdout.splitlines()
    assert stopped == "loop stopped"  # nothing was written before the loop ended
    lines = [json.loads(line) for line in written]
    assert [line.get("n") for line in lines] == [*range(1000), None]
    assert lines[-1]["message"] == "last"
