"""Ratios between a measured path and a baseline run in the same rounds, as the benchmarks print
them: the median over rounds, so one round that other work on the machine slowed counts once."""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence

from keep.bench.stats import Results


def ratio(measured: Results, baseline: Results) -> float:
    return measured.throughput / baseline.throughput if baseline.throughput else 0.0


def median_ratios(
    measured: Sequence[Results],
    baseline: Sequence[Results],
    cpu_ms_per_request: Callable[[Results], float | None],
) -> tuple[float, float | None]:
    """Round by round: measured / baseline throughput, and baseline / measured CPU per request
    (so both read "higher is closer to the baseline"); the median of each. The CPU ratio is None
    unless every round counted CPU on both sides."""
    pairs = list(zip(measured, baseline, strict=True))
    by_throughput = statistics.median(ratio(m, b) for m, b in pairs)
    cpu = [(cpu_ms_per_request(m), cpu_ms_per_request(b)) for m, b in pairs]
    by_cpu = [b / m for m, b in cpu if m and b]
    return by_throughput, statistics.median(by_cpu) if len(by_cpu) == len(pairs) else None
