import pytest

from keep.bench import http_bench
from keep.bench.stats import Results


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
    assert "minimal HTTP edge saturated" in printed
    assert "CPU ms per request: client " in printed and " edge " in printed
    assert "minimal HTTP edge / gRPC, saturated, same stack: " in printed
    assert "gateway HTTP / minimal HTTP edge, saturated, same stack: " in printed
    assert "CPU ms per request of the whole path (load generator included)" in printed


def run(requests: int, cpu_seconds: dict[str, float]) -> Results:
    return Results("r", 1.0, [1.0] * requests, cpu_seconds_by_process=cpu_seconds)


def measured(edge_requests: int) -> http_bench.Measured:
    # One round: the services' CPU per request (load generator excluded) is 0.3 ms on the
    # gRPC path, 0.5 ms through the edge, 1.0 ms through the gateway.
    grpc = run(1000, {"client": 0.1, "datastorage": 0.25, "redis": 0.05})
    edge = run(edge_requests, {"client": 1.0, "datastorage": 0.0003 * edge_requests,
                               "edge": 0.0002 * edge_requests})  # fmt: skip
    http = run(400, {"client": 0.1, "gateway": 0.2, "ratelimit": 0.1, "datastorage": 0.1})
    return http_bench.Measured([http], [grpc], [], [edge])


def test_the_floor_lines_are_computed_from_the_runs(capsys: pytest.CaptureFixture[str]) -> None:
    http_bench.report_floor(measured(edge_requests=500))
    assert capsys.readouterr().out.splitlines() == [
        "minimal HTTP edge / gRPC, saturated, same stack: 0.50, by the services' CPU per request"
        " 0.60 (the ceiling of any one-hop Python HTTP edge here)",
        "gateway HTTP / minimal HTTP edge, saturated, same stack: 0.80, by the services' CPU per"
        " request 0.50",
        "The minimal HTTP edge itself reaches only 0.50 of gRPC, below the 0.8 target: no "
        "one-hop Python HTTP edge of this shape meets it here.",
        "CPU ms per request of the whole path (load generator included), median: gRPC 0.400, "
        "minimal HTTP edge 2.500, gateway HTTP 1.250; where the cores are the limit, 0.8 of "
        "gRPC's throughput allows 0.500",
    ]


def test_an_edge_at_the_target_is_said_to_reach_it(capsys: pytest.CaptureFixture[str]) -> None:
    http_bench.report_floor(measured(edge_requests=900))
    lines = capsys.readouterr().out.splitlines()
    assert "The minimal HTTP edge reaches 0.90 of gRPC: 0.8 is within its reach." in lines
