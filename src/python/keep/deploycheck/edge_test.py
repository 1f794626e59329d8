"""The edge check's certificate rule: one ManagedCertificate per host."""

from __future__ import annotations

import copy

import pytest

from keep.deploycheck import edge
from keep.deploycheck.objects import of_kind
from keep.deploycheck.render import overlays, render_overlay


@pytest.mark.parametrize("env", overlays())
def test_one_managed_certificate_per_host(env: str) -> None:
    certs = of_kind(render_overlay(env), "ManagedCertificate")
    assert certs
    assert [c["spec"]["domains"] for c in certs if len(c["spec"]["domains"]) != 1] == []


def test_edge_check_rejects_a_certificate_for_two_hosts() -> None:
    objs = copy.deepcopy(list(render_overlay("prod")))
    keep, argocd = sorted(of_kind(objs, "ManagedCertificate"), key=lambda c: c["metadata"]["name"])
    keep["spec"]["domains"] += argocd["spec"]["domains"]
    objs.remove(argocd)
    problems = edge.check_edge(objs, "prod")
    assert any("one host per certificate" in p for p in problems), problems
