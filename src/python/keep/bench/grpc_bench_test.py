import pytest

from keep.bench import grpc_bench
from keep.bench.stats import Results


def test_a_short_run_prints_ratios_against_the_echo_baseline(
    capsys: pytest.CaptureFixture[str],
) -> None:
    argv = ["--concurrency", "2", "--duration", "1", "--rate", "20"]
    assert grpc_bench.main(argv) == 0
    printed = capsys.readouterr().out
    assert "echo (bare grpc.aio) saturated" in printed
    assert "echo + one Redis call saturated" in printed
    assert "data-storage / echo, saturated throughput:" in printed
    assert "data-storage / echo, by server CPU per request:" in printed
    assert "data-storage / (echo + Redis), saturated throughput: " in printed
    assert "(echo + Redis) / echo, saturated throughput: " in printed
    assert "load average" in printed


def run(requests: int, seconds: float, cpu_seconds: float | None) -> Results:
    return Results("r", seconds, [1.0] * requests, server_cpu_seconds=cpu_seconds)


def test_floor_ratios_are_medians_of_the_rounds_by_throughput_and_by_cpu(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Throughput ratios per round 0.5, 0.6, 0.9 -> median 0.6; CPU ms/req measured 0.4, 0.5,
    # 0.2 against baseline 0.2 each -> baseline/measured 0.5, 0.4, 1.0 -> median 0.5.
    measured = [run(500, 1, 0.2), run(600, 1, 0.3), run(900, 1, 0.18)]
    baseline = [run(1000, 1, 0.2), run(1000, 1, 0.2), run(1000, 1, 0.2)]
    grpc_bench.print_ratios("ds / floor", measured, baseline)
    assert capsys.readouterr().out == (
        "ds / floor, saturated throughput: 0.60, by server CPU per request: 0.50\n"
    )


def test_cpu_ratio_is_left_out_unless_every_round_counted_cpu(
    capsys: pytest.CaptureFixture[str],
) -> None:
    grpc_bench.print_ratios("x / y", [run(300, 1, None)], [run(400, 2, 0.1)])
    assert capsys.readouterr().out == "x / y, saturated throughput: 1.50\n"
