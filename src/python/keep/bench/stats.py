"""Latency and throughput bookkeeping for closed-loop benchmarks."""

from __future__ import annotations

import os
import statistics
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

_TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids: Sequence[int]) -> float:
    """CPU time (user + system) the processes have used so far, from /proc (Linux)."""
    total = 0
    for pid in pids:
        with open(f"/proc/{pid}/stat") as f:
            # Fields after the parenthesised command name; utime and stime are the 14th and
            # 15th fields of the whole line.
            fields = f.read().rpartition(")")[2].split()
        total += int(fields[11]) + int(fields[12])
    return total / _TICKS_PER_SECOND


def load_average() -> str:
    """The machine's 1, 5 and 15 minute load averages: how much else shared the cores."""
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def cpu_seconds_each(pids: Mapping[str, int]) -> dict[str, float]:
    return {name: cpu_seconds([pid]) for name, pid in pids.items()}


@dataclass
class Results:
    name: str
    duration_seconds: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    # CPU the server processes used during the run, when the benchmark knows their pids: unlike
    # throughput, CPU per request hardly changes when other work shares the machine.
    server_cpu_seconds: float | None = None
    # The same, per named process (the load generator included), when the benchmark names them.
    cpu_seconds_by_process: dict[str, float] = field(default_factory=dict)

    @property
    def throughput(self) -> float:
        return len(self.latencies_ms) / self.duration_seconds if self.duration_seconds else 0.0

    @property
    def server_cpu_ms_per_request(self) -> float | None:
        if self.server_cpu_seconds is None or not self.latencies_ms:
            return None
        return self.server_cpu_seconds * 1000 / len(self.latencies_ms)

    def cpu_ms_per_request(self) -> dict[str, float]:
        """CPU time per measured request of each named process."""
        if not self.latencies_ms:
            return {}
        n = len(self.latencies_ms)
        return {name: s * 1000 / n for name, s in self.cpu_seconds_by_process.items()}

    def percentile(self, p: float) -> float:
        if len(self.latencies_ms) < 2:
            return self.latencies_ms[0] if self.latencies_ms else 0.0
        return statistics.quantiles(self.latencies_ms, n=1000, method="inclusive")[int(p * 10) - 1]

    def line(self) -> str:
        errors = sum(self.errors.values())
        detail = f" {dict(self.errors)}" if errors else ""
        cpu = self.server_cpu_ms_per_request
        cpu_detail = f"   server CPU {cpu:.3f} ms/req" if cpu is not None else ""
        return (
            f"{self.name:<34} {self.throughput:>6.0f} req/s   p50 {self.percentile(50):7.2f} ms"
            f"   p99 {self.percentile(99):7.2f} ms   ok {len(self.latencies_ms):>6}"
            f"   errors {errors}{detail}{cpu_detail}"
        )
