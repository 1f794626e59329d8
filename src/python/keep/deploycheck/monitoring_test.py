"""Metrics collection in the rendered trees: the overlays (GKE) use GKE Managed Prometheus, and
the NetworkPolicies admit exactly the scraper of the monitoring component in use, on exactly the
metrics ports, for every workload that has one; every scrape object selects a real target."""

from __future__ import annotations

from typing import Any

import pytest

from keep.deploycheck import contract, network, objects
from keep.deploycheck.render import object_id, overlays, render_component, render_overlay

OVERLAYS = overlays()
# component -> (scrape object kind, what it selects, the scraper it must admit)
MONITORING = {
    "monitoring-gmp": ("PodMonitoring", "pods", contract.SCRAPERS["monitoring-gmp"]),
    "monitoring-prometheus-operator": (
        "ServiceMonitor", "services", contract.SCRAPERS["monitoring-prometheus-operator"],
    ),
}  # fmt: skip


def _metrics_port(name: str) -> int | None:
    svc = contract.SERVICES.get(name)
    return svc.metrics_port if svc else contract.EXPORTER_METRICS_PORTS.get(name)


def _scrape_problems(objs: tuple[dict[str, Any], ...], component: str) -> list[str]:
    kind, selects, scraper = MONITORING[component]
    problems = []
    ingress, _ = network.network_graph(objs)
    workloads = {objects.pod_labels(w)[objects.NAME]: w for w in objects.workloads(objs)}
    for name, allowed in ingress.items():
        scrapers = {peer for peer, _ in allowed if peer in contract.SCRAPERS.values()}
        port = _metrics_port(name)
        if port and scrapers != {scraper}:
            problems.append(f"{name}: metrics port admits {sorted(scrapers)}, expected {scraper}")
    monitors = {o["metadata"]["name"]: o for o in objs if o["kind"] == kind}
    want = {name for name in workloads if _metrics_port(name)}
    if set(monitors) != want:
        problems.append(f"{kind}s {sorted(monitors)}; expected one per workload {sorted(want)}")
    for monitor in monitors.values():
        selector = monitor["spec"]["selector"]
        ports = [e["port"] for e in monitor["spec"]["endpoints"]]
        if selects == "pods":
            targets = [
                w
                for w in workloads.values()
                if objects.selector_matches(selector, objects.pod_labels(w))
            ]
            named = {
                p.get("name")
                for w in targets
                for c in w["spec"]["template"]["spec"]["containers"]
                for p in c.get("ports", [])
            }
        else:
            targets = [
                s
                for s in objs
                if s["kind"] == "Service"
                and objects.selector_matches(selector, s["metadata"].get("labels", {}))
            ]
            named = {p.get("name") for s in targets for p in s["spec"]["ports"]}
        if len(targets) != 1:
            problems.append(f"{object_id(monitor)} selects {len(targets)} {selects}, expected 1")
        if not set(ports) <= named:
            problems.append(f"{object_id(monitor)}: ports {ports} not among {sorted(named)}")
    return problems


@pytest.mark.parametrize("env", OVERLAYS)
def test_gke_overlays_are_scraped_by_managed_prometheus_only(env: str) -> None:
    problems = _scrape_problems(render_overlay(env), "monitoring-gmp")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("component", sorted(MONITORING))
def test_each_monitoring_component_admits_its_own_scraper(component: str) -> None:
    objs = render_component(component)
    problems = _scrape_problems(objs, component) + network.check_network_policies(objs)
    assert not problems, "\n".join(problems)


def test_without_a_monitoring_component_no_scraper_is_admitted() -> None:
    objs = render_component("memorystore")
    ingress, _ = network.network_graph(objs)
    assert not {
        p for allowed in ingress.values() for p, _ in allowed if p in contract.SCRAPERS.values()
    }


def test_two_scrapers_are_a_problem() -> None:
    (operator_policy,) = (
        o for o in render_component("monitoring-prometheus-operator")
        if o["kind"] == "NetworkPolicy" and o["metadata"]["name"] == "allow-scrape-gateway"
    )  # fmt: skip
    extra = {**operator_policy, "metadata": {**operator_policy["metadata"], "name": "extra"}}
    problems = network.check_network_policies((*render_component("monitoring-gmp"), extra))
    assert "more than one scraper admitted" in "\n".join(problems)
