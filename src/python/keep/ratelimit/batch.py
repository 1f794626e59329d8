"""Several callers' checks in one ShouldRateLimit call, each decided as if it came alone.

An Envoy RLS request is one caller's request: `replaces`, `quota_mode`, the overall code and the
response headers are about all of its descriptors together. The gateway, under load, has many
checks to make at once; one RPC per check made the RPC itself (gRPC's per-call writes and
wake-ups on both sides) most of what a check cost. So a request may carry the metadata
`keep-ratelimit-batch: 2,1,1`: its descriptors are consecutive groups of those sizes, and Keep's
service decides each group exactly as the same descriptors sent alone would be decided (the
windows of all groups are counted in one Redis call, in order). The answer has every
descriptor's status in order, `overall_code` OVER_LIMIT when any group's would be, and no
response headers (they describe one request). Without the metadata a request is one group:
Envoy's meaning, unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence

BATCH_METADATA = "keep-ratelimit-batch"
# Bounds the work one call can ask for; the gateway sends at most this many groups per call.
MAX_GROUPS = 128


class BadBatch(ValueError):
    """The batch metadata does not describe the request's descriptors."""


def batch_metadata(sizes: Sequence[int]) -> tuple[str, str]:
    return (BATCH_METADATA, ",".join(str(size) for size in sizes))


def groups(value: str | None, descriptors: int) -> list[int]:
    """The sizes of the request's groups: one group of all descriptors without metadata."""
    if value is None:
        return [descriptors]
    parts = value.split(",")
    if len(parts) > MAX_GROUPS:
        raise BadBatch(f"{BATCH_METADATA}: at most {MAX_GROUPS} groups")
    if not all(part.isascii() and part.isdigit() and len(part) <= 4 for part in parts):
        raise BadBatch(f"{BATCH_METADATA}: comma-separated group sizes expected")
    sizes = [int(part) for part in parts]
    if 0 in sizes or sum(sizes) != descriptors:
        raise BadBatch(
            f"{BATCH_METADATA}: group sizes must be positive and add up to the "
            f"{descriptors} descriptors"
        )
    return sizes
