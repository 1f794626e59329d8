"""NetworkPolicies: default deny per namespace, and the allowed graph equals the contract's
caller graph (plus exactly one metrics scraper on the metrics ports and DNS egress)."""

from __future__ import annotations

from collections.abc import Sequence

from keep.deploycheck import contract
from keep.deploycheck.objects import NAME, Obj, of_kind, pod_labels, selector_matches, workloads


def _peer_names(peer: Obj, own_ns: str) -> set[str]:
    ns_sel = peer.get("namespaceSelector")
    pod_sel = peer.get("podSelector")
    if "ipBlock" in peer:
        return {f"ip:{peer['ipBlock']['cidr']}"}
    ns = own_ns
    if ns_sel is not None:
        ns = (ns_sel.get("matchLabels") or {}).get("kubernetes.io/metadata.name", "*")
    if pod_sel is None or pod_sel == {}:
        return {f"{ns}/*"}
    names = set(
        (pod_sel.get("matchLabels") or {}).get(NAME, "") and [pod_sel["matchLabels"][NAME]] or []
    )
    for expr in pod_sel.get("matchExpressions") or []:
        if expr["key"] == NAME and expr["operator"] == "In":
            names |= set(expr["values"])
    if not names:
        return {f"{ns}/?"}
    return {n if ns == own_ns else f"{ns}/{n}" for n in names}


def network_graph(
    objs: Sequence[Obj],
) -> tuple[dict[str, set[tuple[str, int | None]]], dict[str, set[tuple[str, int | None]]]]:
    """(ingress, egress): workload -> {(peer, port)} allowed by the rendered NetworkPolicies."""
    ingress: dict[str, set[tuple[str, int | None]]] = {}
    egress: dict[str, set[tuple[str, int | None]]] = {}
    for w in workloads(objs):
        name = pod_labels(w)[NAME]
        ns = w["metadata"].get("namespace", "")
        ingress[name], egress[name] = set(), set()
        for np in of_kind(objs, "NetworkPolicy"):
            if np["metadata"].get("namespace") != ns or not (
                np["spec"]["podSelector"] == {}
                or selector_matches(np["spec"]["podSelector"], pod_labels(w))
            ):
                continue
            for direction, rules, key in (
                ("Ingress", np["spec"].get("ingress", []), "from"),
                ("Egress", np["spec"].get("egress", []), "to"),
            ):
                if direction not in np["spec"].get("policyTypes", []):
                    continue
                for rule in rules:
                    peers = (
                        set().union(*[_peer_names(p, ns) for p in rule.get(key, [])])
                        if rule.get(key)
                        else {"*"}
                    )
                    ports = [p.get("port") for p in rule.get("ports", [])] or [None]
                    target = ingress if direction == "Ingress" else egress
                    target[name] |= {(peer, port) for peer in peers for port in ports}
    return ingress, egress


def check_network_policies(objs: Sequence[Obj]) -> list[str]:
    problems = []
    nps = of_kind(objs, "NetworkPolicy")
    namespaces = {w["metadata"].get("namespace") for w in workloads(objs)}
    for ns in namespaces:
        if not any(
            np["metadata"].get("namespace") == ns
            and np["spec"]["podSelector"] == {}
            and set(np["spec"].get("policyTypes", [])) == {"Ingress", "Egress"}
            and not np["spec"].get("ingress")
            and not np["spec"].get("egress")
            for np in nps
        ):
            problems.append(f"namespace {ns}: no default-deny (ingress+egress) NetworkPolicy")
    ingress, egress = network_graph(objs)
    scrapers = set(contract.SCRAPERS.values())
    admitted = {peer for allowed in ingress.values() for peer, _ in allowed if peer in scrapers}
    if len(admitted) > 1:
        problems.append(f"more than one scraper admitted: {sorted(admitted)}")
    for name, allowed in ingress.items():
        svc = contract.SERVICES.get(name)
        callers = {peer for peer, _ in allowed if peer not in scrapers}
        if callers != contract.EXPECTED_CALLERS.get(name, set()):
            problems.append(
                f"{name}: ingress allowed from {sorted(callers)}, expected {sorted(contract.EXPECTED_CALLERS.get(name, set()))}"
            )
        metrics_port = svc.metrics_port if svc else contract.EXPORTER_METRICS_PORTS.get(name)
        scraped = {port for peer, port in allowed if peer in scrapers}
        if scraped and scraped != {metrics_port}:
            problems.append(
                f"{name}: the scraper may reach ports {sorted(map(str, scraped))}, expected only metrics {metrics_port}"
            )
        if admitted and metrics_port and not scraped:
            problems.append(
                f"{name}: the scraper {sorted(admitted)} may not reach metrics port {metrics_port}"
            )
        if any(port is None for _, port in allowed):
            problems.append(f"{name}: an ingress rule allows every port")
    for name, allowed in egress.items():
        dns = {(p, port) for p, port in allowed if port == 53}
        if not dns:
            problems.append(f"{name}: no DNS egress")
        rest = {(p, port) for p, port in allowed - dns if not p.startswith("ip:")}
        if rest != contract.EXPECTED_EGRESS.get(name, set()):
            problems.append(
                f"{name}: egress allowed to {sorted(map(str, rest))}, expected {sorted(map(str, contract.EXPECTED_EGRESS.get(name, set())))}"
            )
        if any(port is None or p == "*" or p.endswith("/*") and port != 53 for p, port in allowed):
            problems.append(f"{name}: an egress rule is unrestricted")
    return problems
