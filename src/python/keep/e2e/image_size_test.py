"""Every service image within issue 13's budget of 100 MB (uncompressed, as `docker image ls`
shows it), built by Pants from this checkout: python-base r1's images were 132-146 MB."""

from __future__ import annotations

import docker
import pytest

from keep.bench.image_layers import split
from keep.testing.images import built_image

BUDGET_MB = 100
SERVICES = ("datastorage", "gateway", "ratelimit")


@pytest.mark.parametrize("service", SERVICES)
def test_image_within_budget_with_code_in_its_own_small_layer(service: str) -> None:
    image = docker.from_env().images.get(built_image(f"src/python/keep/{service}:image"))
    layers = split(image.history())
    assert image.attrs["Size"] / 1e6 <= BUDGET_MB, (service, layers)
    # A code-only change ships only the top layer.
    assert layers.code < 2e6 < layers.third_party, layers
