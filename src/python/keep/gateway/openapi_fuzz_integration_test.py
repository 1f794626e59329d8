"""schemathesis against the OpenAPI document the gateway serves: whatever it generates, the
gateway never answers 5xx and its answers match the document."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from keep.devstack.stack import Stack
from keep.gateway.openapi import openapi_document
from keep.testing.redis_container import redis_container

# Generous limits: the fuzzer should reach data-storage, not only the 429 path.
LIMITS = """
domain: keep
descriptors:
  - key: action
    value: create
    descriptors:
      - {key: remote_address, rate_limit: {unit: second, requests_per_unit: 100000}}
  - key: action
    value: reveal
    descriptors:
      - {key: remote_address, rate_limit: {unit: second, requests_per_unit: 100000}}
"""


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    tmp: Path = tmp_path_factory.mktemp("fuzz")
    (tmp / "limits.yaml").write_text(LIMITS)
    with redis_container() as redis, (tmp / "services.log").open("wb") as log:
        env = {"ratelimit": {"RATELIMIT_CONFIG": str(tmp / "limits.yaml")}}
        with Stack(redis_url=redis.url, http_port=0, env=env, output=log.fileno()) as running:
            yield running


@pytest.fixture(scope="module")
def api(stack: Stack) -> Any:
    return schemathesis.openapi.from_url(stack.url + "/api/v1/openapi.json")


def _operations() -> list[tuple[str, str, GenerationMode]]:
    """Every operation of the document (known without a server, so pytest can list them),
    with valid inputs, and with invalid ones where it has inputs to break."""
    found = []
    for path, item in openapi_document("http://localhost", 1)["paths"].items():
        for method, operation in item.items():
            if method == "parameters":
                continue
            found.append((path, method.upper(), GenerationMode.POSITIVE))
            if "parameters" in item or "requestBody" in operation or "parameters" in operation:
                found.append((path, method.upper(), GenerationMode.NEGATIVE))
    return found


@pytest.mark.parametrize(("path", "method", "mode"), _operations())
def test_no_server_errors_and_answers_match_the_document(
    api: Any, path: str, method: str, mode: GenerationMode
) -> None:
    operation = api[path][method]

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=100, deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )
    def run(case: Any) -> None:
        case.call_and_validate(
            checks=[
                not_a_server_error,
                status_code_conformance,
                content_type_conformance,
                response_schema_conformance,
            ],
            timeout=15,
        )

    run()
