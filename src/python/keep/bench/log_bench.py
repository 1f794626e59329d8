"""What one log line costs: CPU ns per record, the way the services log.

    ./pants run src/python/keep/bench:logs -- --records 20000 --rounds 5

The line data-storage writes for every request (`log.info("secret created", extra=...)`) inside
a span, to /dev/null (where bench:grpc sends the services' output), three ways in one run:

- keep: `configure_logging` (JsonLines, its handler, no thread/process lookups);
- JsonLines on stdlib defaults: the same formatter and filter in a plain StreamHandler, with
  logging's thread and process lookups on;
- plain text: the stdlib's `logging.Formatter("%(message)s")` in a StreamHandler, the cheapest
  line logging writes: the baseline of the printed ratios.

Then the parts of Keep's line: making the record, the TraceIds filter, JsonLines.format. Times
are the thread's CPU time (the machine's other load moves them much less than wall time), the
fastest of --rounds rounds, the ways taking turns.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
import timeit
from collections.abc import Callable
from typing import TextIO

from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, ParentBased

from keep.platform.json_logs import JsonLines
from keep.platform.logs import configure_logging
from keep.platform.tracing import TraceIds

SECRET_ID = "abcdef…"  # what redact_id leaves of an id
log = logging.getLogger("keep.datastorage.service")


def audit_line() -> None:
    log.info("secret created", extra={"secret_id": SECRET_ID, "ttl": 3600})


def make_record() -> logging.LogRecord:
    return log.makeRecord(
        log.name, logging.INFO, __file__, 1, "secret created", (), None,
        extra={"secret_id": SECRET_ID, "ttl": 3600},
    )  # fmt: skip


def ns_per_call(call: Callable[[], object], records: int) -> float:
    return timeit.timeit(call, number=records, timer=time.thread_time) / (records / 1e9)


def _thread_and_process_lookups(on: bool) -> None:
    logging.logThreads = logging.logProcesses = logging.logMultiprocessing = on


def _stdlib_handler(formatter: logging.Formatter, with_trace_ids: bool) -> None:
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(formatter)
    if with_trace_ids:
        handler.addFilter(TraceIds())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    _thread_and_process_lookups(True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=20000, help="log lines per round")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    report = sys.stdout
    with open(os.devnull, "w") as sys.stdout:  # where the handlers made below write
        try:
            _run(args.records, args.rounds, report)
        finally:
            sys.stdout = report
    return 0


def _run(records: int, rounds: int, report: TextIO) -> None:
    # A service's tracer (ids made, nothing recorded), not installed globally.
    tracer = TracerProvider(sampler=ParentBased(root=ALWAYS_OFF)).get_tracer("bench")
    ways: dict[str, Callable[[], None]] = {
        "plain text (stdlib Formatter, baseline)": lambda: _stdlib_handler(
            logging.Formatter("%(message)s"), with_trace_ids=False
        ),
        "JsonLines on stdlib defaults": lambda: _stdlib_handler(
            JsonLines("datastorage"), with_trace_ids=True
        ),
        "keep (configure_logging)": lambda: configure_logging("datastorage"),
    }
    record = make_record()
    trace_ids = TraceIds()
    formatter = JsonLines("datastorage")
    parts: dict[str, Callable[[], object]] = {
        "  making the record (no thread/process)": make_record,
        "  TraceIds filter, in a span": lambda: trace_ids.filter(record),
        "  JsonLines.format": lambda: formatter.format(record),
    }
    # The ways take turns, round after round, so the machine's load falls on each alike.
    fastest: dict[str, float] = {}
    with tracer.start_as_current_span("request"):
        for _ in range(rounds):
            for name, install in ways.items():
                install()
                ns = ns_per_call(audit_line, records)
                fastest[name] = min(ns, fastest.get(name, ns))
            for name, part in parts.items():  # with configure_logging's settings
                ns = ns_per_call(part, records)
                fastest[name] = min(ns, fastest.get(name, ns))

    plain = fastest["plain text (stdlib Formatter, baseline)"]
    print(f"{'one audit line, CPU per record':<44} {'ns':>7} {'/ plain text':>13}", file=report)
    for name in ways:
        print(f"{name:<44} {fastest[name]:>7.0f} {fastest[name] / plain:>13.2f}", file=report)
    print("parts of keep's line:", file=report)
    for name in parts:
        print(f"{name:<44} {fastest[name]:>7.0f}", file=report)


if __name__ == "__main__":
    sys.exit(main())
