import json
import logging

import pytest
from opentelemetry import trace
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags

from keep.platform.logs import configure_logging, redact_id

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
