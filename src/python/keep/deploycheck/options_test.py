"""The alternative deployment options, rendered on the base and checked offline: the Dapr
service mesh component and the Knative serverless component (neither control plane can run
here; their CRD schemas are pinned, see crd_pin.py)."""

from __future__ import annotations

from typing import Any

from keep.deploycheck import contract
from keep.deploycheck.network import network_graph
from keep.deploycheck.objects import workloads
from keep.deploycheck.render import render_component
from keep.deploycheck.schemas import load_schema
from keep.deploycheck.workloads import check_settings_env

Objs = tuple[dict[str, Any], ...]


def _named(objs: Objs, kind: str, name: str) -> dict[str, Any]:
    (found,) = (o for o in objs if o["kind"] == kind and o["metadata"]["name"] == name)
    return found


def test_dapr_sidecars_match_the_services() -> None:
    objs = render_component("dapr")
    known = set(load_schema("dapr.io_annotations.json")["annotations"])
    configurations = {o["metadata"]["name"] for o in objs if o["kind"] == "Configuration"}
    for name, svc in contract.SERVICES.items():
        annotations = _named(objs, "Deployment", name)["spec"]["template"]["metadata"][
            "annotations"
        ]
        dapr = {k: v for k, v in annotations.items() if k.startswith("dapr.io/")}
        assert set(dapr) <= known, f"{name}: unknown Dapr annotations {set(dapr) - known}"
        assert dapr["dapr.io/enabled"] == "true" and dapr["dapr.io/app-id"] == name
        assert dapr["dapr.io/app-protocol"] == svc.port_name and dapr["dapr.io/app-port"] == str(
            svc.port
        )
        assert dapr["dapr.io/config"] in configurations


def test_dapr_gateway_calls_through_its_sidecar() -> None:
    objs = render_component("dapr")
    assert check_settings_env(objs) == []
    (container,) = _named(objs, "Deployment", "gateway")["spec"]["template"]["spec"]["containers"]
    assert {"name": "VIA_DAPR", "value": "true"} in container["env"]
    ingress, egress = network_graph(objs)
    assert {("datastorage", 50002), ("ratelimit", 50002)} <= egress["gateway"]
    assert ("gateway", 50002) in ingress["datastorage"] and ("gateway", 50002) in ingress[
        "ratelimit"
    ]
    for name in contract.SERVICES:
        assert ("dapr-system/*", 50001) in egress[name]


def test_dapr_never_retries_datastorage() -> None:
    resiliency = _named(render_component("dapr"), "Resiliency", "keep")["spec"]
    assert "retry" not in resiliency["targets"]["apps"]["datastorage"]
    assert resiliency["targets"]["apps"]["datastorage"]["timeout"]


def test_only_the_gateway_may_invoke_the_backends() -> None:
    objs = render_component("dapr")
    for name in ("datastorage", "ratelimit"):
        acl = _named(objs, "Configuration", f"keep-{name}")["spec"]["accessControl"]
        assert acl["defaultAction"] == "deny"
        assert [p["appId"] for p in acl["policies"]] == ["gateway"]


def test_dapr_access_control_names_the_gateway_namespace_of_the_overlay() -> None:
    """The policy's namespace is part of the caller's SPIFFE id: it must be wherever the including
    overlay puts the gateway (render_component uses namespace keep-component-test), never a
    namespace written into the component (it said keep-dev, so prod would deny every call)."""
    objs = render_component("dapr")
    gateway = _named(objs, "Deployment", "gateway")["metadata"]["namespace"]
    assert gateway == "keep-component-test"
    for name in ("datastorage", "ratelimit"):
        acl = _named(objs, "Configuration", f"keep-{name}")["spec"]["accessControl"]
        assert [p["namespace"] for p in acl["policies"]] == [gateway], name


def test_knative_runs_the_gateway_and_keeps_the_backends() -> None:
    objs = render_component("knative")
    assert {w["metadata"]["name"] for w in workloads(objs)} == {
        "datastorage",
        "ratelimit",
        "redis",
    }
    ksvc = _named(objs, "Service", "gateway")
    assert ksvc["apiVersion"] == "serving.knative.dev/v1"
    template = ksvc["spec"]["template"]
    scale = template["metadata"]["annotations"]
    assert scale["autoscaling.knative.dev/min-scale"] == "0"  # scales to zero
    assert int(scale["autoscaling.knative.dev/max-scale"]) >= 1
    (container,) = template["spec"]["containers"]
    assert [p["containerPort"] for p in container["ports"]] == [contract.SERVICES["gateway"].port]
    # Knative sets $PORT; HTTP_PORT would override it (keep.gateway.settings).
    assert "HTTP_PORT" not in {e["name"] for e in container.get("env", [])}
    assert container["envFrom"][0]["configMapRef"]["name"].startswith("gateway-config-")


def test_knative_gateway_admits_only_knative_ingress() -> None:
    ingress, _ = network_graph(render_component("knative"))
    assert {peer for peer, _ in ingress["datastorage"]} == {"gateway"}
    np = _named(render_component("knative"), "NetworkPolicy", "gateway")
    sources = {
        f["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"]
        for rule in np["spec"]["ingress"] for f in rule["from"]
    }  # fmt: skip
    assert sources == {"kourier-system", "knative-serving"}
    assert {p["port"] for rule in np["spec"]["ingress"] for p in rule["ports"]} == {
        8012,
        9090,
        9091,
    }
