"""keep.deploycheck.schemas rejects what a real API server would."""

from __future__ import annotations

import copy

from keep.deploycheck.render import render_overlay
from keep.deploycheck.schemas import validate_object


def test_schema_rejects_unknown_crd_field_and_kind() -> None:
    mapping = next(o for o in render_overlay("dev") if o["kind"] == "Mapping")
    bad = copy.deepcopy(mapping)
    bad["spec"]["prefixx"] = "/"
    assert validate_object(bad)
    assert validate_object(
        {"apiVersion": "example.com/v1", "kind": "Thing", "metadata": {"name": "x"}}
    )
    assert validate_object(
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "x"},
            "spec": {"bogus": 1},
        }
    )
