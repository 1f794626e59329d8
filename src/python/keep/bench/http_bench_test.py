import pytest

from keep.bench import http_bench


def test_a_short_run_prints_the_ratio_and_cpu_per_process(
    capsys: pytest.CaptureFixture[str],
) -> None:
    argv = ["--concurrency", "2", "--duration", "1", "--rate", "20", "--rounds", "1"]
    assert http_bench.main(argv) == 0
    printed = capsys.readouterr().out
    assert "HTTP / gRPC, saturated, same stack:" in printed
    assert "HTTP / gRPC by the services' CPU per request" in printed
    assert "CPU ms per request: client " in printed
    assert "gateway " in printed and "ratelimit " in printed and "redis " in printed
