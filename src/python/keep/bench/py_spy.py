"""py-spy profiles of a benchmarked process while a measurement runs."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator, Sequence
from contextlib import contextmanager


@contextmanager
def profiling(output: str | None, pids: Sequence[int], seconds: float) -> Iterator[None]:
    """py-spy (from PATH) samples the service's threads, native frames included, while the
    block runs. OUTPUT.svg is a flame graph; any other name gets collapsed stacks (one line
    per stack with its sample count), which `keep.bench.profile` summarises."""
    if output is None or not pids:
        yield
        return
    argv = ["py-spy", "record", "--native", "--threads", "--pid", str(pids[0])]
    argv += ["--duration", f"{seconds:.0f}", "--output", output]
    if not output.endswith(".svg"):
        argv += ["--format", "raw"]
    recorder = subprocess.Popen(argv, stdout=subprocess.DEVNULL)
    try:
        yield
    finally:
        recorder.wait()
