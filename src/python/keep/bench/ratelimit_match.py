"""How fast ratelimit finds the limit for a descriptor (`Limits.find`), by kind of match.

Runs on envoyproxy/ratelimit's largest config fixture (share_threshold.yaml: prefix, inner and
multiple `*` wildcards, nested wildcards) and its basic_config.yaml, and prints decisions/second
for each kind of lookup next to exact-value lookups measured in the same run, so the ratio shows
what wildcards cost whatever the machine:

    ./pants run src/python/keep/bench:ratelimit-match -- --seconds 2
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from importlib import resources

from keep.ratelimit.matching import Limits
from keep.ratelimit.sources import build_limits

Entries = list[tuple[str, str]]

# (label, fixture, descriptors looked up in turn); the first row is the baseline.
CASES: list[tuple[str, str, list[Entries]]] = [
    ("exact value", "share_threshold.yaml", [[("file", "test1")]]),
    ("key only (basic_config)", "basic_config.yaml", [[("key2", "v")], [("key3", "x")]]),
    ("prefix wildcard", "share_threshold.yaml", [[("files", "files/a")], [("file", "test9")]]),
    ("inner wildcard", "share_threshold.yaml", [[("midpath", "/api/users/v1")]]),
    ("multi wildcard", "share_threshold.yaml", [[("multiroute", "svc-a-ep-b-rpc")]]),
    (
        "3-level wildcards",
        "share_threshold.yaml",
        [[("user", "user/1"), ("resource", "res/2"), ("action", "get")]],
    ),
    ("no match", "share_threshold.yaml", [[("unknown", "x")], [("files", "elsewhere")]]),
]


def _load(name: str) -> Limits:
    fixtures = resources.files("keep.ratelimit").joinpath("reference_fixtures")
    return build_limits([(name, fixtures.joinpath(name).read_text(encoding="utf-8"))])


def decisions_per_second(limits: Limits, descriptors: Sequence[Entries], seconds: float) -> float:
    find = limits.find
    done, started = 0, time.perf_counter()
    deadline = started + seconds
    while time.perf_counter() < deadline:
        for _ in range(200):
            for entries in descriptors:
                find("test-domain", entries)
        done += 200 * len(descriptors)
    return done / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="per case (default 2)")
    args = parser.parse_args()
    baseline = 0.0
    print(f"{'lookup':<26} {'decisions/s':>12}   vs exact")
    for label, fixture, descriptors in CASES:
        rate = decisions_per_second(_load(fixture), descriptors, args.seconds)
        baseline = baseline or rate
        print(f"{label:<26} {rate:>12,.0f}   {rate / baseline:5.2f}x")


if __name__ == "__main__":
    main()
