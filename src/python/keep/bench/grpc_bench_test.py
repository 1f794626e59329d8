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


def run(requests: int, cpu_seconds: float | None) -> Results:
    return Results("r", 1.0, [1.0] * requests, server_cpu_seconds=cpu_seconds)


def test_a_floor_line_shows_both_ratios_from_the_runs(capsys: pytest.CaptureFixture[str]) -> None:
    # data-storage 0.4 ms CPU per request, echo + Redis 0.2 ms; 500 against 1000 req/s.
    grpc_bench.print_ratios("ds / floor", [run(500, 0.2)], [run(1000, 0.2)])
    assert capsys.readouterr().out == (
        "ds / floor, saturated throughput: 0.50, by server CPU per request: 0.50\n"
    )
