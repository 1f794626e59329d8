import logging
import re

import pytest

from keep.bench import log_bench


def test_a_short_run_prints_each_way_and_each_part(capsys: pytest.CaptureFixture[str]) -> None:
    assert log_bench.main(["--records", "200", "--rounds", "1"]) == 0
    printed = capsys.readouterr().out
    for row in (
        "plain text (stdlib Formatter, baseline)",
        "JsonLines on stdlib defaults",
        "keep (configure_logging)",
        "making the record",
        "TraceIds filter, in a span",
        "JsonLines.format",
    ):
        assert re.search(rf"{re.escape(row)}.*\s[1-9]\d*(\s|$)", printed), row
    assert "secret created" not in printed  # the lines went to /dev/null, not the report
    logging.getLogger().handlers.clear()
