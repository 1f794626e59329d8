"""The payload cap is one number deployed twice: the gateway refuses bodies over its
MAX_PAYLOAD_BYTES, data-storage refuses payloads over its own (and gRPC refuses messages
beyond it). If they differ, secrets between the two caps pass the gateway and fail inside;
and the per-client byte budget must admit at least one secret of the maximum size."""

from __future__ import annotations

from collections.abc import Sequence

from keep.deploycheck.edge import limits_doc
from keep.deploycheck.objects import Obj, container_env, workloads

CAPPED = ("gateway", "datastorage")
VAR = "MAX_PAYLOAD_BYTES"
BYTES_ACTION = "create_bytes"  # keep.gateway.actions.BYTES_ACTION


def payload_caps(objs: Sequence[Obj]) -> dict[str, str | None]:
    """MAX_PAYLOAD_BYTES of each capped service's container (None: not set)."""
    caps: dict[str, str | None] = {}
    for w in workloads(objs):
        for c in w["spec"]["template"]["spec"].get("containers", []):
            if c["name"] in CAPPED:
                caps[c["name"]] = container_env(objs, w, c).get(VAR)
    return caps


def check_payload_caps(objs: Sequence[Obj]) -> list[str]:
    caps = payload_caps(objs)
    problems = [f"{name}: {VAR} must be set explicitly" for name in CAPPED if not caps.get(name)]
    if problems:
        return problems
    if len(set(caps.values())) != 1:
        return [f"{VAR} differs between services: {caps} (the gateway's must equal data-storage's)"]
    return _check_byte_budget(objs, int(str(caps["gateway"])))


def _check_byte_budget(objs: Sequence[Obj], cap: int) -> list[str]:
    doc = limits_doc(objs)
    if isinstance(doc, str):
        return [doc]
    for rule in doc.get("descriptors", []):
        if rule.get("key") == "action" and rule.get("value") == BYTES_ACTION:
            budgets = [
                child["rate_limit"]["requests_per_unit"]
                for child in rule.get("descriptors", [])
                if child.get("key") == "remote_address" and "rate_limit" in child
            ]
            if not budgets:
                return [f"ratelimit: action={BYTES_ACTION} has no remote_address limit"]
            small = [b for b in budgets if b < cap]
            return [f"ratelimit: {BYTES_ACTION} budget {b} is below {VAR} {cap}" for b in small]
    return [f"ratelimit: no action={BYTES_ACTION} rule: one client could store without bound"]
