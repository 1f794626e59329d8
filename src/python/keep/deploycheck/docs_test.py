"""deploy/README.md tells an operator what to create by hand: it must agree with the manifests.
Every Secret a rendered overlay references has its `kubectl create secret` line (with the key),
and every CIDR the README names is one the overlays' NetworkPolicies use."""

from __future__ import annotations

import ipaddress
import re

import pytest

from keep.deploycheck.render import overlays, render_overlay, repo_root
from keep.deploycheck.workloads import secret_refs

ROOT = repo_root()
README = ROOT / "deploy" / "README.md"


def _policy_cidrs() -> set[str]:
    return {
        block["ipBlock"]["cidr"]
        for env in overlays(ROOT)
        for obj in render_overlay(env)
        if obj.get("kind") == "NetworkPolicy"
        for rule in obj["spec"].get("egress", []) + obj["spec"].get("ingress", [])
        for block in rule.get("to", []) + rule.get("from", [])
        if "ipBlock" in block
    }


@pytest.mark.parametrize("env", overlays(ROOT))
def test_readme_creates_every_secret_the_overlay_references(env: str) -> None:
    text = README.read_text()
    missing = []
    for ref in sorted(secret_refs(render_overlay(env))):
        namespace_name, _, key = ref.partition("#")
        namespace, _, name = namespace_name.partition("/")
        line = re.search(
            rf"kubectl -n {re.escape(namespace)} create secret generic {re.escape(name)} (.*)", text
        )
        if not line:
            missing.append(f"{ref}: no `kubectl -n {namespace} create secret generic {name}`")
        elif key != "*" and f"--from-literal={key}=" not in line.group(1):
            missing.append(f"{ref}: the README's command does not set key {key}")
    assert not missing, "\n".join(missing)


def test_readme_cidrs_are_the_network_policies_cidrs() -> None:
    named = {
        str(ipaddress.ip_network(m))
        for m in re.findall(r"\b\d{1,3}(?:\.\d{1,3}){3}/\d{1,2}\b", README.read_text())
    }
    assert named, "the README names the Memorystore range"
    assert (
        named <= _policy_cidrs()
    ), f"README ranges not in any NetworkPolicy: {named - _policy_cidrs()}"
