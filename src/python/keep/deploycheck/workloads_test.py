"""The workload checks catch what they exist for (on a copy of a rendered Deployment)."""

from __future__ import annotations

import copy
from typing import Any

from keep.deploycheck import network, scaling, workloads
from keep.deploycheck.render import render_overlay


def _deployment(name: str = "datastorage") -> dict[str, Any]:
    dev = render_overlay("dev")
    return copy.deepcopy(
        next(o for o in dev if o["kind"] == "Deployment" and o["metadata"]["name"] == name)
    )


def test_probe_and_port_checks_catch_mismatch() -> None:
    d = _deployment()
    c = d["spec"]["template"]["spec"]["containers"][0]
    c["readinessProbe"]["grpc"]["port"] = 50099
    assert any("readinessProbe" in p for p in workloads.check_probes([d]))
    assert any("not a container port" in p for p in workloads.check_service_ports([d]))


def test_requests_above_limits_are_caught_in_any_unit() -> None:
    d = _deployment()
    res = d["spec"]["template"]["spec"]["containers"][0]["resources"]
    assert workloads.check_requests_within_limits([d]) == []
    res["requests"]["memory"], res["limits"]["memory"] = "1.5Gi", "1000M"  # 1.61e9 > 1e9
    res["requests"]["cpu"], res["limits"]["cpu"] = "1", "900m"
    problems = workloads.check_requests_within_limits([d])
    assert any("requests.memory > limits.memory" in p for p in problems), problems
    assert any("requests.cpu > limits.cpu" in p for p in problems), problems


def test_a_container_running_as_another_uid_is_caught() -> None:
    d = _deployment()
    d["spec"]["template"]["spec"]["containers"][0]["securityContext"]["runAsUser"] = 0
    assert any("runAsUser 0" in p for p in workloads.check_run_as_image_user([d]))


def test_pdb_hpa_check_catches_missing_objects_and_replicas() -> None:
    d = _deployment()
    d["spec"]["replicas"] = 3
    problems = scaling.check_pdb_hpa([d])
    assert any("HorizontalPodAutoscaler" in p for p in problems)
    assert any("spec.replicas" in p for p in problems)


def test_network_check_catches_extra_caller() -> None:
    dev = copy.deepcopy(list(render_overlay("dev")))
    np = next(
        o for o in dev if o["kind"] == "NetworkPolicy" and o["metadata"]["name"] == "datastorage"
    )
    np["spec"]["ingress"][0]["from"].append(
        {"podSelector": {"matchLabels": {"app.kubernetes.io/name": "ratelimit"}}}
    )
    problems = network.check_network_policies(dev)
    assert any("datastorage: ingress allowed from" in p for p in problems)
