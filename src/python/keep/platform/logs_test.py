import json
import logging

import pytest

from keep.platform.logs import configure_logging, redact_id


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
