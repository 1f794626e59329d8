import os
import time

from keep.bench.stats import Results, cpu_seconds


def test_percentiles_and_throughput() -> None:
    results = Results("demo", duration_seconds=2.0, latencies_ms=[float(i) for i in range(1, 1001)])
    assert results.throughput == 500
    assert results.percentile(50) == 500.5
    assert 989 <= results.percentile(99) <= 991
    results.errors["UNAVAILABLE"] += 3
    assert "errors 3 {'UNAVAILABLE': 3}" in results.line()


def test_empty_results_print_zeros() -> None:
    assert "0 req/s" in Results("empty").line()


def test_cpu_seconds_grow_while_a_process_computes() -> None:
    before = cpu_seconds([os.getpid()])
    deadline = time.process_time() + 0.2
    while time.process_time() < deadline:
        pass
    assert cpu_seconds([os.getpid()]) - before >= 0.1


def test_cpu_per_request_needs_both_numbers() -> None:
    results = Results("demo", duration_seconds=1.0, latencies_ms=[1.0] * 4)
    assert results.server_cpu_ms_per_request is None
    results.server_cpu_seconds = 0.002
    assert results.server_cpu_ms_per_request == 0.5
    assert "server CPU 0.500 ms/req" in results.line()
