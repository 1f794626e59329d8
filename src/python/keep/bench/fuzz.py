"""Fuzz the gateway with schemathesis over the OpenAPI document it serves, and count answers.

    ./pants run src/python/keep/bench:fuzz -- --requests 10000
    ./pants run src/python/keep/bench:fuzz -- --target http://localhost:8080 --requests 2000

Every operation of the document is fuzzed with valid inputs and, where it has inputs to break,
with invalid ones (schemathesis' positive and negative generation), in rounds until at least
--requests requests were sent. Prints the requests sent, the answers by status code, the 5xx
count and the answers that do not match the document (status, content type, body schema).
Exits 1 on any 5xx. Without --target it starts the whole stack on an embedded Redis with rate
limits far above the load, so the fuzzer reaches data-storage instead of the 429 path.
`keep.gateway.openapi_fuzz_integration_test` runs the same checks, 100 examples per operation,
in `./pants test`; this is the long run.
"""

from __future__ import annotations

import argparse
import collections
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from keep.devstack.stack import Stack

UNLIMITED = {"unit": "second", "requests_per_unit": 1_000_000_000}
HIGH_LIMITS = f"""
domain: keep
descriptors:
  - key: action
    value: create
    descriptors: [{{key: remote_address, rate_limit: {UNLIMITED}}}]
  - key: action
    value: create_bytes
    descriptors: [{{key: remote_address, rate_limit: {UNLIMITED}}}]
  - key: action
    value: reveal
    descriptors: [{{key: remote_address, rate_limit: {UNLIMITED}}}]
"""
CONFORMANCE = [status_code_conformance, content_type_conformance, response_schema_conformance]
SHOWN_EXAMPLES = 5


@dataclass
class Tally:
    sent: int = 0
    by_status: collections.Counter[int] = field(default_factory=collections.Counter)
    not_sent: collections.Counter[str] = field(default_factory=collections.Counter)
    nonconforming: int = 0
    server_errors: list[str] = field(default_factory=list)
    nonconforming_examples: list[str] = field(default_factory=list)

    @property
    def server_error_count(self) -> int:
        return sum(n for status, n in self.by_status.items() if status >= 500)


def _operations(api: Any) -> Iterator[tuple[Any, GenerationMode]]:
    for result in api.get_all_operations():
        operation = result.ok()
        yield operation, GenerationMode.POSITIVE
        inputs = (operation.path_parameters, operation.query, operation.headers, operation.body)
        if any(len(part) for part in inputs):  # negative needs something to break
            yield operation, GenerationMode.NEGATIVE


def _fuzz(operation: Any, mode: GenerationMode, examples: int, tally: Tally) -> None:
    session = requests.Session()

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
        derandomize=False,
    )
    def run(case: Any) -> None:
        try:
            response = case.call(session=session, timeout=15)
        except (requests.RequestException, ValueError) as e:
            # The client refused to send it (e.g. a header value that is not latin-1).
            tally.not_sent[type(e).__name__] += 1
            return
        tally.sent += 1
        tally.by_status[response.status_code] += 1
        if response.status_code >= 500 and len(tally.server_errors) < SHOWN_EXAMPLES:
            tally.server_errors.append(f"{response.status_code} {case.as_curl_command()}")
        try:
            case.validate_response(response, checks=CONFORMANCE)
        except Exception as e:  # schemathesis raises a group of check failures
            tally.nonconforming += 1
            if len(tally.nonconforming_examples) < SHOWN_EXAMPLES:
                first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
                tally.nonconforming_examples.append(f"{operation.label} [{mode.value}]: {first}")

    run()


def fuzz(url: str, target_requests: int) -> Tally:
    api = schemathesis.openapi.from_url(url + "/api/v1/openapi.json")
    operations = list(_operations(api))
    tally = Tally()
    per_round = max(1, target_requests // len(operations))
    rounds = 0
    while tally.sent < target_requests:
        rounds += 1
        before = tally.sent
        for operation, mode in operations:
            if tally.sent >= target_requests:
                break
            _fuzz(operation, mode, per_round, tally)
        if tally.sent == before:
            raise RuntimeError("no request could be sent")
        print(f"round {rounds}: {tally.sent} requests so far", file=sys.stderr)
    return tally


@contextmanager
def _stack() -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="keep-fuzz-") as tmp:
        limits = Path(tmp) / "limits.yaml"
        limits.write_text(HIGH_LIMITS)
        env = {"ratelimit": {"RATELIMIT_CONFIG": str(limits)}}
        with Stack(http_port=0, env=env, output=subprocess.DEVNULL) as stack:
            yield stack.url


def report(tally: Tally, seconds: float) -> str:
    statuses = ", ".join(f"{s}: {n}" for s, n in sorted(tally.by_status.items()))
    lines = [
        f"requests sent      {tally.sent} in {seconds:.0f} s ({tally.sent / seconds:.0f}/s)",
        f"by status          {statuses}",
        f"5xx                {tally.server_error_count}",
        f"not conforming     {tally.nonconforming} (status, content type or body vs. the document)",
    ]
    if tally.not_sent:
        lines.append(f"refused by client  {dict(tally.not_sent)}")
    lines += [f"  5xx: {e}" for e in tally.server_errors]
    lines += [f"  nonconforming: {e}" for e in tally.nonconforming_examples]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=10_000, help="at least this many")
    parser.add_argument("--target", help="a running gateway (default: start the stack)")
    args = parser.parse_args()
    started = time.monotonic()
    if args.target:
        tally = fuzz(args.target.rstrip("/"), args.requests)
    else:
        with _stack() as url:
            tally = fuzz(url, args.requests)
    print(report(tally, time.monotonic() - started))
    sys.exit(1 if tally.server_error_count else 0)


if __name__ == "__main__":
    main()
