"""Emissary on a private GKE cluster: the Emissary release deploy/README.md installs converts its
CRDs through a webhook (emissary-apiext, pod port 8443) that the control plane must reach. GKE
opens only 443 and 10250 from a private control plane to the nodes, so the gke module must open
the webhook port from exactly the control plane's range to the nodes."""

from __future__ import annotations

import re

from tfconfig import MODULES, REPO_ROOT, load_dir, one, resources

APIEXT_WEBHOOK_PORT = "8443"  # emissary-apiext's container port (Emissary 3.x)
INSTALL_DOC = REPO_ROOT / "deploy" / "README.md"


def _emissary_major() -> int:
    match = re.search(r"emissary/(\d+)\.\d+\.\d+/emissary-crds\.yaml", INSTALL_DOC.read_text())
    assert match, f"{INSTALL_DOC} names no Emissary CRD release"
    return int(match.group(1))


def test_control_plane_reaches_the_emissary_conversion_webhook() -> None:
    if _emissary_major() >= 4:
        return  # no conversion webhook to reach (decided by the release deploy/README installs)
    gke = MODULES / "gke"
    defaults = {name: one(v.get("default")) for name, v in load_dir(gke)["variable"].items()}
    opened = []
    for name, rule in resources(gke, "google_compute_firewall").items():
        if one(rule.get("direction")) != "INGRESS":
            continue
        if "${var.master_ipv4_cidr_block}" not in rule.get("source_ranges", []):
            continue
        for allow in rule.get("allow", []):
            ports = one(allow.get("ports"))
            if isinstance(ports, str) and ports.startswith("${var."):
                ports = defaults[ports[len("${var.") : -1]]
            if one(allow.get("protocol")) == "tcp" and APIEXT_WEBHOOK_PORT in (ports or []):
                opened.append(name)
                assert rule.get("target_service_accounts") or rule.get(
                    "target_tags"
                ), f"{name}: opens {APIEXT_WEBHOOK_PORT} to every instance of the network"
    assert opened, (
        f"Emissary {_emissary_major()}.x converts its CRDs through a webhook on "
        f"{APIEXT_WEBHOOK_PORT}: the gke module must allow the control plane (master_ipv4_cidr_block) "
        "to reach the nodes there"
    )
