"""Scaling and disruption: each Deployment has exactly one HPA (which owns the replica count)
and one PDB that never blocks a node drain at minReplicas; prod keeps more pods than dev."""

from __future__ import annotations

from collections.abc import Sequence

from keep.deploycheck.objects import Obj, of_kind, pod_labels, selector_matches
from keep.deploycheck.render import object_id


def _pdb_guaranteed(pdb: Obj, replicas: int) -> int:
    spec = pdb["spec"]
    if "minAvailable" in spec:
        return int(spec["minAvailable"])
    return replicas - int(spec.get("maxUnavailable", 0))


def scaling_summary(objs: Sequence[Obj]) -> dict[str, dict[str, int]]:
    """Per Deployment: HPA min/max and the pods its PDB keeps available at minReplicas."""
    out = {}
    for d in of_kind(objs, "Deployment"):
        name = d["metadata"]["name"]
        hpas = [
            h
            for h in of_kind(objs, "HorizontalPodAutoscaler")
            if h["spec"]["scaleTargetRef"]["name"] == name
        ]
        pdbs = [
            p
            for p in of_kind(objs, "PodDisruptionBudget")
            if selector_matches(p["spec"].get("selector"), pod_labels(d))
        ]
        if len(hpas) == 1 and len(pdbs) == 1:
            mn = int(hpas[0]["spec"].get("minReplicas", 1))
            out[name] = {
                "min": mn,
                "max": int(hpas[0]["spec"]["maxReplicas"]),
                "guaranteed": _pdb_guaranteed(pdbs[0], mn),
            }
    return out


def check_pdb_hpa(objs: Sequence[Obj]) -> list[str]:
    problems = []
    for d in of_kind(objs, "Deployment"):
        did = object_id(d)
        name = d["metadata"]["name"]
        hpas = [
            h
            for h in of_kind(objs, "HorizontalPodAutoscaler")
            if h["spec"]["scaleTargetRef"].get("kind") == "Deployment"
            and h["spec"]["scaleTargetRef"]["name"] == name
        ]
        pdbs = [
            p
            for p in of_kind(objs, "PodDisruptionBudget")
            if selector_matches(p["spec"].get("selector"), pod_labels(d))
        ]
        if len(hpas) != 1:
            problems.append(
                f"{did}: expected exactly one HorizontalPodAutoscaler, found {len(hpas)}"
            )
        if len(pdbs) != 1:
            problems.append(f"{did}: expected exactly one PodDisruptionBudget, found {len(pdbs)}")
        if "replicas" in d["spec"]:
            problems.append(f"{did}: sets spec.replicas although an HPA owns the replica count")
        if len(hpas) == 1 and len(pdbs) == 1:
            mn = int(hpas[0]["spec"].get("minReplicas", 1))
            if mn < 2:
                problems.append(f"{did}: HPA minReplicas {mn} < 2 (no redundancy)")
            if _pdb_guaranteed(pdbs[0], mn) >= mn:
                problems.append(
                    f"{did}: PDB allows no voluntary disruption at minReplicas {mn} (node drains would block)"
                )
    return problems


def check_stricter(dev: Sequence[Obj], prod: Sequence[Obj]) -> list[str]:
    problems = []
    d, p = scaling_summary(dev), scaling_summary(prod)
    for name in sorted(set(d) | set(p)):
        if name not in d or name not in p:
            problems.append(f"{name}: missing HPA/PDB in {'dev' if name not in d else 'prod'}")
            continue
        if p[name]["min"] <= d[name]["min"]:
            problems.append(
                f"{name}: prod HPA minReplicas {p[name]['min']} not above dev {d[name]['min']}"
            )
        if p[name]["max"] < d[name]["max"]:
            problems.append(f"{name}: prod HPA maxReplicas below dev")
        if p[name]["guaranteed"] <= d[name]["guaranteed"]:
            problems.append(
                f"{name}: prod PDB keeps {p[name]['guaranteed']} pods, not more than dev's {d[name]['guaranteed']}"
            )
    return problems
