"""The exact line for every shape of record Keep writes. The golden lines are what
python-json-logger's JsonFormatter (4.2.0, as Keep configured it until JsonLines replaced it)
wrote for the same records: Cloud Logging queries, tests and people reading logs see no change."""

from __future__ import annotations

import dataclasses
import datetime
import enum
import json
import logging
import math
import sys
from collections.abc import Callable
from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags

from keep.platform.json_logs import IsoTime, JsonLines
from keep.platform.tracing import TraceIds

CREATED = 1764619200.123456  # 2025-12-01T20:00:00.123456Z
SPAN = NonRecordingSpan(
    SpanContext(
        trace_id=0x4BF92F3577B34DA6A3CE929D0E0E4736,
        span_id=0x00F067AA0BA902B7,
        is_remote=False,
        trace_flags=TraceFlags(TraceFlags.SAMPLED),
    )
)


class Color(enum.Enum):
    RED = "red"
    BLUE = 2


@dataclasses.dataclass
class Point:
    x: int
    y: list[int]


class NoStr:
    def __str__(self) -> str:
        raise RuntimeError("no str")

    def __repr__(self) -> str:
        return "<NoStr>"


class NoText(NoStr):
    def __repr__(self) -> str:
        raise RuntimeError("no repr")


def record(
    msg: object,
    *args: object,
    level: int = logging.INFO,
    name: str = "keep.datastorage.service",
    extra: dict[str, Any] | None = None,
    exc_info: Any = None,
    sinfo: str | None = None,
    created: float = CREATED,
    in_span: bool = False,
    exc_text: str | None = None,
) -> logging.LogRecord:
    """A record as a service's logger makes it, through the TraceIds filter its handler has."""
    made = logging.getLogger(name).makeRecord(
        name, level, "service.py", 1, msg, args, exc_info, extra=extra, sinfo=sinfo
    )
    made.created = created
    made.exc_text = exc_text
    if in_span:
        with trace.use_span(SPAN):
            TraceIds().filter(made)
    else:
        TraceIds().filter(made)
    return made


ACCESS = {
    "method": "POST",
    "path": "/api/v1/secrets",
    "route": "/api/v1/secrets",
    "status": 201,
    "duration_ms": 1.25,
    "remote": "127.0.0.1",
    "user_agent": 'curl/8 "q" \\ \n',
}
ODD_VALUES = {
    "when": datetime.datetime(2026, 12, 1, 20, 0, 1, 5, tzinfo=datetime.UTC),
    "day": datetime.date(2026, 12, 1),
    "clock": datetime.time(20, 0),
    "error": ValueError("boom"),
    "color": Color.RED,
    "colors": Color,
    "raw": b"\xff\x00ab",
    "point": Point(1, [2]),
    "kind": ValueError,
    "set": frozenset([7]),
    "obj": NoStr(),
    "nothing": NoText(),
    "nan": math.nan,
    "inf": -math.inf,
    "big": 10**30,
    "nested": {"k": [1, {"z": b"x"}]},
}
NO_TRACEBACK = (ValueError, ValueError("boom"), None)
STACK = 'Stack (most recent call last):\n  File "x.py", line 1, in <module>'

SHAPES: dict[str, Callable[[], logging.LogRecord]] = {
    "audit line in a span": lambda: record(
        "secret created", extra={"secret_id": "abcdef…", "ttl": 3600}, in_span=True
    ),
    "audit line outside a span": lambda: record("secret revealed", extra={"secret_id": "abcdef…"}),
    "%-args": lambda: record(
        "cannot start: %s", "bad PORT", level=logging.ERROR, name="keep.ratelimit"
    ),
    "gateway access log": lambda: record(
        "request", name="keep.gateway.access", extra=ACCESS, in_span=True
    ),
    "lists, bools, None": lambda: record(
        "limits loaded",
        level=logging.WARNING,
        extra={"domains": ["a", "b"], "rules": 3, "ready": True, "none": None, "pair": (1, 2.5)},
    ),
    "values json cannot encode": lambda: record("odd", extra=ODD_VALUES),
    "exception": lambda: record(
        "unhandled error",
        level=logging.ERROR,
        name="keep.gateway.middleware",
        extra={"route": "/x"},
        exc_info=NO_TRACEBACK,
        in_span=True,
    ),
    "exc_text only": lambda: record("with exc_text", exc_text="cached text"),
    "stack_info": lambda: record("with stack", level=logging.DEBUG, sinfo=STACK),
    "dict message": lambda: record({"event": "dict", "n": 1}),
    "dict message with exc_info": lambda: record(
        {"exc_info": "mine", "a": 1}, exc_info=NO_TRACEBACK
    ),
    "extras named like fields": lambda: record(
        "overrides",
        extra={"time": "x", "service": "other", "severity": "LOUD", "_private": 1, "logger": "x"},
    ),
    "whole second": lambda: record("whole second", created=1764619200.0),
    "rounds up to the next second": lambda: record("rounds up", created=1764619200.9999996),
    "1970": lambda: record("early", created=86400.25),
    "non-ASCII": lambda: record("ünïcödé ✓ \U0001f600", extra={"secret_id": "…"}),
    "custom level": lambda: record("custom", level=25),
    "extra with a non-str key": lambda: record(
        "odd key", extra={1: "one", "after": 0.5}  # type: ignore[dict-item]
    ),
}

_HEAD = '{"severity": "INFO", "logger": "keep.datastorage.service", "message": '
_TIME = '"time": "2025-12-01T20:00:00.123456+00:00"}'
_IDS = '"trace_id": "4bf92f3577b34da6a3ce929d0e0e4736", "span_id": "00f067aa0ba902b7"'
GOLDEN = {
    "audit line in a span": _HEAD + '"secret created", "service": "datastorage", '
    f'"secret_id": "abcdef\\u2026", "ttl": 3600, {_IDS}, {_TIME}',
    "audit line outside a span": _HEAD + '"secret revealed", "service": "datastorage", '
    f'"secret_id": "abcdef\\u2026", {_TIME}',
    "%-args": '{"severity": "ERROR", "logger": "keep.ratelimit", "message": "cannot start: '
    f'bad PORT", "service": "datastorage", {_TIME}',
    "gateway access log": '{"severity": "INFO", "logger": "keep.gateway.access", "message": '
    '"request", "service": "datastorage", "method": "POST", "path": "/api/v1/secrets", '
    '"route": "/api/v1/secrets", "status": 201, "duration_ms": 1.25, "remote": "127.0.0.1", '
    f'"user_agent": "curl/8 \\"q\\" \\\\ \\n", {_IDS}, {_TIME}',
    "lists, bools, None": '{"severity": "WARNING", "logger": "keep.datastorage.service", '
    '"message": "limits loaded", "service": "datastorage", "domains": ["a", "b"], "rules": 3, '
    f'"ready": true, "none": null, "pair": [1, 2.5], {_TIME}',
    "values json cannot encode": _HEAD + '"odd", "service": "datastorage", '
    '"when": "2026-12-01T20:00:01.000005+00:00", "day": "2026-12-01", "clock": "20:00:00", '
    '"error": "ValueError: boom", "color": "red", "colors": ["red", 2], "raw": "_wBhYg==", '
    '"point": {"x": 1, "y": [2]}, "kind": "ValueError", "set": "frozenset({7})", '
    '"obj": "<NoStr>", "nothing": "__could_not_encode__", "nan": NaN, "inf": -Infinity, '
    f'"big": 1000000000000000000000000000000, "nested": {{"k": [1, {{"z": "eA=="}}]}}, {_TIME}',
    "exception": '{"severity": "ERROR", "logger": "keep.gateway.middleware", "message": '
    '"unhandled error", "service": "datastorage", "exc_info": "ValueError: boom", '
    f'"route": "/x", {_IDS}, {_TIME}',
    "exc_text only": _HEAD + '"with exc_text", "service": "datastorage", '
    f'"exc_info": "cached text", {_TIME}',
    "stack_info": '{"severity": "DEBUG", "logger": "keep.datastorage.service", "message": '
    '"with stack", "service": "datastorage", "stack_info": "Stack (most recent call last):\\n'
    f'  File \\"x.py\\", line 1, in <module>", {_TIME}',
    "dict message": _HEAD + f'"", "service": "datastorage", "event": "dict", "n": 1, {_TIME}',
    "dict message with exc_info": _HEAD
    + f'"", "service": "datastorage", "exc_info": "mine", "a": 1, {_TIME}',
    "extras named like fields": '{"severity": "LOUD", "logger": "x", "message": "overrides", '
    f'"service": "other", {_TIME}',
    "whole second": _HEAD + '"whole second", "service": "datastorage", '
    '"time": "2025-12-01T20:00:00+00:00"}',
    "rounds up to the next second": _HEAD + '"rounds up", "service": "datastorage", '
    '"time": "2025-12-01T20:00:01+00:00"}',
    "1970": _HEAD + '"early", "service": "datastorage", '
    '"time": "1970-01-02T00:00:00.250000+00:00"}',
    "non-ASCII": _HEAD + '"\\u00fcn\\u00efc\\u00f6d\\u00e9 \\u2713 \\ud83d\\ude00", '
    f'"service": "datastorage", "secret_id": "\\u2026", {_TIME}',
    "custom level": '{"severity": "Level 25", "logger": "keep.datastorage.service", '
    f'"message": "custom", "service": "datastorage", {_TIME}',
    "extra with a non-str key": _HEAD
    + f'"odd key", "service": "datastorage", "1": "one", "after": 0.5, {_TIME}',
}


@pytest.mark.parametrize("shape", SHAPES)
def test_each_shape_of_record_gives_the_same_line_as_before(shape: str) -> None:
    assert JsonLines("datastorage").format(SHAPES[shape]()) == GOLDEN[shape]


def test_a_raised_exception_is_its_traceback_as_logging_formats_it() -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        exc_info = sys.exc_info()
    line = json.loads(JsonLines("datastorage").format(record("failed", exc_info=exc_info)))
    assert list(line) == ["severity", "logger", "message", "service", "exc_info", "time"]
    assert line["exc_info"] == logging.Formatter().formatException(exc_info)
    assert line["exc_info"].startswith("Traceback (most recent call last):")


@pytest.mark.parametrize(
    "timestamp",
    [CREATED, 0.0, 0.5, 1764619200.0000005, 1764619200.0000015, 1764619200.9999994, 4e9 + 0.1],
)
def test_time_is_what_datetime_would_write(timestamp: float) -> None:
    expected = datetime.datetime.fromtimestamp(timestamp, datetime.UTC).isoformat()
    iso_time = IsoTime()
    assert iso_time(timestamp) == expected
    assert iso_time(timestamp) == expected  # from the cached second too
