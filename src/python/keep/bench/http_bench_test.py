from keep.bench import http_bench


def test_a_short_run_through_a_local_stack_has_no_errors() -> None:
    argv = ["--concurrency", "2", "--duration", "1", "--rate", "20", "--no-grpc"]
    assert http_bench.main(argv) == 0
