"""The rendered objects as the checks see them: kinds, workloads, their pods, containers, env."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

Obj = dict[str, Any]
WORKLOAD_KINDS = ("Deployment", "StatefulSet")
NAME = "app.kubernetes.io/name"


def of_kind(objs: Iterable[Obj], kind: str) -> list[Obj]:
    return [o for o in objs if o.get("kind") == kind]


def workloads(objs: Iterable[Obj]) -> list[Obj]:
    return [o for o in objs if o.get("kind") in WORKLOAD_KINDS]


def pod_spec(w: Obj) -> Obj:
    spec: Obj = w["spec"]["template"]["spec"]
    return spec


def pod_labels(w: Obj) -> dict[str, str]:
    labels: dict[str, str] = w["spec"]["template"]["metadata"].get("labels", {})
    return labels


def selector_matches(selector: Obj | None, labels: dict[str, str]) -> bool:
    if not selector:
        return False
    for k, v in (selector.get("matchLabels") or {}).items():
        if labels.get(k) != v:
            return False
    for expr in selector.get("matchExpressions") or []:
        value = labels.get(expr["key"])
        op = expr["operator"]
        if op == "In" and value not in expr["values"]:
            return False
        if op == "NotIn" and value in expr["values"]:
            return False
        if op == "Exists" and value is None:
            return False
        if op == "DoesNotExist" and value is not None:
            return False
    return True


def containers(w: Obj) -> list[Obj]:
    return list(pod_spec(w).get("containers", []))


def all_containers(w: Obj) -> list[Obj]:
    """The containers and the init containers: what every per-container rule must cover."""
    return containers(w) + list(pod_spec(w).get("initContainers", []))


def env_entries(c: Obj) -> dict[str, Obj]:
    """The container's env entries by name."""
    return {e["name"]: e for e in c.get("env", [])}


def resolve_port(c: Obj, port: Any) -> int | None:
    if isinstance(port, int):
        return port if any(p["containerPort"] == port for p in c.get("ports", [])) else None
    for p in c.get("ports", []):
        if p.get("name") == port:
            return int(p["containerPort"])
    return None


def configmap(objs: Sequence[Obj], name: str, ns: str | None) -> Obj | None:
    for cm in of_kind(objs, "ConfigMap"):
        if cm["metadata"]["name"] == name and cm["metadata"].get("namespace") == ns:
            return cm
    return None


def container_env(objs: Sequence[Obj], w: Obj, c: Obj) -> dict[str, str | None]:
    """Every env var the container gets: env entries (value, or None for valueFrom) and envFrom keys."""
    out: dict[str, str | None] = {}
    ns = w["metadata"].get("namespace")
    for src in c.get("envFrom", []):
        ref = src.get("configMapRef")
        if ref:
            cm = configmap(objs, ref["name"], ns)
            out.update((cm or {}).get("data", {}))
    for e in c.get("env", []):
        out[e["name"]] = e.get("value")
    return out
