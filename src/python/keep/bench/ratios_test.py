from keep.bench.ratios import median_ratios
from keep.bench.stats import Results


def run(requests: int, cpu_ms_per_request: float | None) -> Results:
    cpu = cpu_ms_per_request * requests / 1000 if cpu_ms_per_request is not None else None
    return Results("r", 1.0, [1.0] * requests, server_cpu_seconds=cpu)


def server_cpu(result: Results) -> float | None:
    return result.server_cpu_ms_per_request


def test_medians_of_the_rounds_by_throughput_and_by_cpu() -> None:
    # By throughput 0.5, 0.6, 0.9; by CPU (baseline / measured) 0.5, 0.4, 1.0.
    measured = [run(500, 0.4), run(600, 0.5), run(900, 0.2)]
    baseline = [run(1000, 0.2), run(1000, 0.2), run(1000, 0.2)]
    by_throughput, by_cpu = median_ratios(measured, baseline, server_cpu)
    assert round(by_throughput, 9) == 0.6
    assert by_cpu is not None and round(by_cpu, 9) == 0.5


def test_no_cpu_ratio_unless_every_round_counted_cpu() -> None:
    measured = [run(300, None), run(300, 0.1)]
    baseline = [run(200, 0.1), run(200, 0.1)]
    assert median_ratios(measured, baseline, server_cpu) == (1.5, None)
