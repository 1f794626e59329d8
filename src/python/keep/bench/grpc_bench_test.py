import pytest

from keep.bench import grpc_bench


def test_a_short_run_prints_ratios_against_the_echo_baseline(
    capsys: pytest.CaptureFixture[str],
) -> None:
    argv = ["--concurrency", "2", "--duration", "1", "--rate", "20"]
    assert grpc_bench.main(argv) == 0
    printed = capsys.readouterr().out
    assert "echo (bare grpc.aio) saturated" in printed
    assert "data-storage / echo, saturated throughput:" in printed
    assert "data-storage / echo, by server CPU per request:" in printed
    assert "load average" in printed
