"""Where the time goes: a summary of py-spy's collapsed stacks (`--format raw`).

    ./pants run src/python/keep/bench:grpc -- --py-spy /tmp/datastorage.txt
    ./pants run src/python/keep/bench:profile -- /tmp/datastorage.txt
    ./pants run src/python/keep/bench:http -- --py-spy /tmp/gateway.txt   # or --py-spy-process
    ./pants run src/python/keep/bench:profile -- /tmp/gateway.txt

py-spy samples only threads that are running (not blocked in a system call), so the share per
thread is where the process's CPU goes. For the busiest thread each sample is then charged to
one part of the request path: the part of the innermost frame that belongs to any part (a
sample inside redis-py called from the servicer is Redis's), else "other".
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

# Part of the request path -> a pattern matched against a frame "function (file:line)".
# Checked in this order, so the more specific parts come first.
PARTS: dict[str, str] = {
    "logging": r"\((logging/|platform/(json_)?logs\.py)",
    # OpenTelemetry's packages as py-spy names them (trace/__init__.py), its gRPC interceptors.
    "tracing (opentelemetry)": (
        r"\(((trace|context|propagators|sdk|attributes)/|grpc/_aio_client|grpc/_aio_server"
        r"|grpc/_client\.py)"
    ),
    "metrics (prometheus_client)": r"\(prometheus_client/",
    "encryption (cryptography)": r"\(cryptography/|\(crypto\.py:",
    "Redis client (redis-py)": r"\(redis/",
    "protobuf": r"\(google/protobuf/|_message\.",
    "gRPC, Python layer (grpc/aio)": r"\(grpc/(aio|_)",
    "gRPC core (cygrpc, native)": r"cygrpc|libgrpc",
    "HTTP server (aiohttp)": r"\(aiohttp/|_http_parser|llhttp",
    "Keep's own code (keep/)": (
        r"\((service|store|crypto|metrics|server|logs|health|middleware|actions|curl|body"
        r"|ratelimiter|datastorage|tracing|counter|matching)\.py:"
    ),
    "event loop (asyncio)": r"\(asyncio/|_asynciomodule|selectors\.py|selectmodule",
}


@dataclass
class Profile:
    # thread name -> samples
    threads: Counter[str] = field(default_factory=Counter)
    # thread name -> part -> samples passing through it
    parts: dict[str, Counter[str]] = field(default_factory=dict)

    @property
    def busiest(self) -> str:
        return self.threads.most_common(1)[0][0]


def _thread_name(head: str) -> str:
    # "thread (19567): MainThread" -> "MainThread"; the id differs per run.
    return (head.split(":", 1)[1].strip() if ":" in head else head) or "unnamed"


def _part_of(frames: list[str], compiled: dict[str, re.Pattern[str]]) -> str:
    for frame in reversed(frames):  # innermost first
        for part, pattern in compiled.items():
            if pattern.search(frame):
                return part
    return "other"


def parse(lines: Iterable[str]) -> Profile:
    profile = Profile()
    compiled = {part: re.compile(pattern) for part, pattern in PARTS.items()}
    for line in lines:
        stack, _, count_text = line.rstrip("\n").rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        head, *frames = stack.split(";")
        thread = _thread_name(head)
        profile.threads[thread] += count
        profile.parts.setdefault(thread, Counter())[_part_of(frames, compiled)] += count
    return profile


def report(profile: Profile) -> str:
    total = sum(profile.threads.values()) or 1
    lines = ["samples by thread:"]
    for thread, samples in profile.threads.most_common():
        lines.append(f"  {samples / total:6.1%}  {thread}")
    busiest = profile.busiest
    samples = profile.threads[busiest] or 1
    lines.append(f"{busiest}, by the innermost part of the request path:")
    for part, count in profile.parts[busiest].most_common():
        lines.append(f"  {count / samples:6.1%}  {part}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("stacks", help="py-spy record --format raw output")
    args = parser.parse_args(argv)
    with open(args.stacks) as f:
        print(report(parse(f)))


if __name__ == "__main__":
    main()
