"""Unit tests of the check helpers on small fakes: the checks must catch real problems."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from keep.deploycheck import policy
from keep.deploycheck.argo import TemplateError, expand_applicationset
from keep.deploycheck.render import render_overlay
from keep.deploycheck.schemas import validate_object


def _deployment(name: str = "datastorage") -> dict[str, Any]:
    dev = render_overlay("dev")
    return copy.deepcopy(
        next(o for o in dev if o["kind"] == "Deployment" and o["metadata"]["name"] == name)
    )


def test_security_check_catches_privileged_container() -> None:
    d = _deployment()
    c = d["spec"]["template"]["spec"]["containers"][0]
    c["securityContext"]["allowPrivilegeEscalation"] = True
    c["securityContext"]["capabilities"] = {"add": ["NET_ADMIN"]}
    problems = policy.check_security([d])
    assert any("allowPrivilegeEscalation" in p for p in problems)
    assert any("adds capabilities" in p for p in problems)


def test_probe_and_port_checks_catch_mismatch() -> None:
    d = _deployment()
    c = d["spec"]["template"]["spec"]["containers"][0]
    c["readinessProbe"]["grpc"]["port"] = 50099
    assert any("readinessProbe" in p for p in policy.check_probes([d]))
    assert any("not a container port" in p for p in policy.check_service_ports([d]))


def test_pdb_hpa_check_catches_missing_objects_and_replicas() -> None:
    d = _deployment()
    d["spec"]["replicas"] = 3
    problems = policy.check_pdb_hpa([d])
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
    assert any("datastorage: ingress allowed from" in p for p in policy.check_network_policies(dev))


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


def test_applicationset_expansion_requires_keys() -> None:
    appset: dict[str, Any] = {
        "metadata": {"name": "x", "namespace": "argocd"},
        "spec": {
            "goTemplate": True,
            "generators": [{"list": {"elements": [{"env": "dev"}]}}],
            "template": {
                "metadata": {"name": "keep-{{.env}}"},
                "spec": {"project": "{{.missing}}"},
            },
        },
    }
    with pytest.raises(TemplateError):
        expand_applicationset(appset)
    appset["spec"]["template"]["spec"]["project"] = "keep"
    appset["spec"]["templatePatch"] = "spec:\n  syncPolicy: {{ toJson .sp }}\n"
    appset["spec"]["generators"][0]["list"]["elements"][0]["sp"] = {"automated": {"prune": True}}
    (app,) = expand_applicationset(appset)
    assert app["metadata"]["name"] == "keep-dev"
    assert app["spec"] == {"project": "keep", "syncPolicy": {"automated": {"prune": True}}}
