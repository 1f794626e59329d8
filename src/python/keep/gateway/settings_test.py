from __future__ import annotations

import pytest

from keep.gateway.settings import Settings


def test_knative_port_variable_sets_the_http_port(monkeypatch: pytest.MonkeyPatch) -> None:
    # Knative Serving tells the container which port to serve on in $PORT.
    monkeypatch.delenv("HTTP_PORT", raising=False)
    monkeypatch.setenv("PORT", "8123")
    assert Settings().http_port == 8123
    monkeypatch.setenv("HTTP_PORT", "8124")  # explicit configuration wins
    assert Settings().http_port == 8124
