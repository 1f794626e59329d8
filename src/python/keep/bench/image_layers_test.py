from typing import Any

import pytest

from keep.bench.image_layers import Layers, split

# `docker history` of a service image as python_service() builds it (newest first).
HISTORY: list[dict[str, Any]] = [
    {"CreatedBy": '/bin/sh -c #(nop)  ENTRYPOINT ["/app/venv/pex"]', "Size": 0},
    {"CreatedBy": "/bin/sh -c #(nop)  USER 10001:10001", "Size": 0},
    {"CreatedBy": "/bin/sh -c #(nop) COPY dir:58a5da9 in /app/venv ", "Size": 292_000},
    {"CreatedBy": "/bin/sh -c #(nop) COPY dir:db58196 in /app/venv ", "Size": 58_800_000},
    {"CreatedBy": "/bin/sh -c #(nop)  LABEL dev.keep.base-image-content=abc", "Size": 0},
    {"CreatedBy": "", "Size": 37_900_000},
]


def test_the_two_venv_layers_and_the_base_below_them() -> None:
    layers = split(HISTORY)
    assert layers == Layers(base=37_900_000, third_party=58_800_000, code=292_000)
    assert layers.total == 96_992_000


def test_an_image_not_built_by_python_service_is_an_error() -> None:
    with pytest.raises(ValueError, match="found 1"):
        split([e for e in HISTORY if "58a5da9" not in e["CreatedBy"]])
