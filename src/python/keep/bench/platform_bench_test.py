import pytest

from keep.bench import platform_bench


def test_a_short_run_prints_the_platform_next_to_its_baselines(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert platform_bench.main(["--calls", "640", "--rounds", "1"]) == 0
    printed = capsys.readouterr().out
    assert "handler CPU per RPC, bare handler" in printed
    assert "ServedRpcs adds (medians)" in printed
    assert "platform / redis-py (medians)" in printed
    assert "load average" in printed
