from keep.bench.stats import Results


def test_percentiles_and_throughput() -> None:
    results = Results("demo", duration_seconds=2.0, latencies_ms=[float(i) for i in range(1, 1001)])
    assert results.throughput == 500
    assert results.percentile(50) == 500.5
    assert 989 <= results.percentile(99) <= 991
    results.errors["UNAVAILABLE"] += 3
    assert "errors 3 {'UNAVAILABLE': 3}" in results.line()


def test_empty_results_print_zeros() -> None:
    assert "0 req/s" in Results("empty").line()
