from keep.bench import http_bench


def test_a_short_run_against_a_local_stack_has_no_errors() -> None:
    assert http_bench.main(["--start-stack", "--clients", "2", "--seconds", "1"]) == 0


def test_percentile() -> None:
    assert http_bench.percentile([3.0, 1.0, 2.0, 4.0], 0.5) == 3.0
    assert http_bench.percentile([1.0] * 99 + [50.0], 0.99) == 50.0
