"""keep.deploycheck.schemas rejects what a real API server would, and what ratelimit's own
loader would in a limits ConfigMap."""

from __future__ import annotations

import copy

from keep.deploycheck.render import render_overlay
from keep.deploycheck.schemas import validate_limits, validate_object


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


def test_limits_configmaps_are_checked_by_ratelimits_own_loader() -> None:
    # The reference's keys (wildcards, share_threshold, shadow_mode) are valid in a ConfigMap.
    doc = {
        "domain": "keep",
        "descriptors": [
            {
                "key": "path",
                "value": "/files/*",
                "share_threshold": True,
                "shadow_mode": True,
                "rate_limit": {"unit": "minute", "requests_per_unit": 10},
            }
        ],
    }
    assert validate_limits(doc) == []


def test_a_bad_limits_configmap_says_where_and_why() -> None:
    doc = {"domain": "keep", "descriptors": [{"key": "a", "ratelimit": {"unit": "day"}}]}
    assert validate_limits(doc) == ["descriptors.0.ratelimit: unknown key 'ratelimit'"]
