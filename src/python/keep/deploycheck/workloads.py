"""Keep's contract for its workloads, on the rendered overlays: labels, health probes on the
contract's ports and health services, the image's uid, requests within limits, zone spread, drain
time, one HPA and PDB each (prod stricter than dev), Service/container/probe/contract ports,
referenced ConfigMaps and ServiceAccounts, env vars that are Settings fields.

Generic pod hygiene (privileges, root, capabilities, read-only root, seccomp, host namespaces,
token automount, probes and requests/limits present, image digests) is checkov's kubernetes
framework over the same rendered overlays: see checkov_k8s.py."""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal

from kubernetes.utils import parse_quantity

from keep.deploycheck import contract
from keep.deploycheck.objects import (
    NAME,
    WORKLOAD_KINDS,
    Obj,
    all_containers,
    configmap,
    container_env,
    containers,
    env_entries,
    of_kind,
    pod_labels,
    pod_spec,
    resolve_port,
    selector_matches,
    workloads,
)
from keep.deploycheck.render import object_id
from keep.deploycheck.scaling import check_pdb_hpa
from keep.deploycheck.settings_env import service_env_vars


def check_labels(objs: Sequence[Obj], env: str | None) -> list[str]:
    problems = []
    for o in objs:
        labels = o["metadata"].get("labels", {})
        if labels.get("app.kubernetes.io/part-of") != "keep":
            problems.append(f"{object_id(o)}: label app.kubernetes.io/part-of=keep missing")
        if env and labels.get("app.kubernetes.io/instance") != f"keep-{env}":
            problems.append(f"{object_id(o)}: label app.kubernetes.io/instance=keep-{env} missing")
        if o["kind"] in (
            *WORKLOAD_KINDS,
            "PodDisruptionBudget",
            "HorizontalPodAutoscaler",
            "ServiceAccount",
        ) or (o["kind"] == "Service" and o["metadata"].get("namespace") != "emissary"):
            for key in (NAME, "app.kubernetes.io/component"):
                if not labels.get(key):
                    problems.append(f"{object_id(o)}: label {key} missing")
    for w in workloads(objs):
        pl = pod_labels(w)
        for key in (NAME, "app.kubernetes.io/component", "app.kubernetes.io/part-of"):
            if not pl.get(key):
                problems.append(f"{object_id(w)}: pod template label {key} missing")
        if not selector_matches(w["spec"]["selector"], pl):
            problems.append(f"{object_id(w)}: selector does not match its pod template")
    return problems


def check_probes(objs: Sequence[Obj]) -> list[str]:
    """Keep's services answer the contract's health services (gRPC) or paths (gateway) on their
    contract port. (That every container has probes at all is checkov's CKV_K8S_8/9.)"""
    problems = []
    for w in workloads(objs):
        for c in containers(w):
            where = f"{object_id(w)} container {c['name']}"
            svc = contract.SERVICES.get(c["name"])
            if svc is None:
                continue
            if svc.port_name == "grpc":
                for probe, health in (
                    ("livenessProbe", "liveness"),
                    ("readinessProbe", "readiness"),
                ):
                    grpc = c.get(probe, {}).get("grpc")
                    if not grpc or grpc.get("port") != svc.port or grpc.get("service") != health:
                        problems.append(
                            f"{where}: {probe} must be grpc {{port: {svc.port}, service: {health}}}"
                        )
            else:
                for probe, path in contract.GATEWAY_HEALTH.items():
                    http = c.get(probe, {}).get("httpGet")
                    if (
                        not http
                        or http.get("path") != path
                        or resolve_port(c, http.get("port")) != svc.port
                    ):
                        problems.append(
                            f"{where}: {probe} must be httpGet {path} on port {svc.port}"
                        )
    return problems


def _quantity(value: object) -> Decimal:
    """Kubernetes' own parser (`1.5Gi`, `900m`, `1e3`...)."""
    quantity: Decimal = parse_quantity(value)  # type: ignore[no-untyped-call]
    return quantity


def check_requests_within_limits(objs: Sequence[Obj]) -> list[str]:
    """requests <= limits (the API server would reject the pod). That both are set is checkov's
    CKV_K8S_10..13."""
    problems = []
    for w in workloads(objs):
        for c in all_containers(w):
            res = c.get("resources", {})
            for r in ("cpu", "memory"):
                req, lim = res.get("requests", {}).get(r), res.get("limits", {}).get(r)
                if req is not None and lim is not None and _quantity(req) > _quantity(lim):
                    problems.append(
                        f"{object_id(w)} container {c['name']}: requests.{r} > limits.{r}"
                    )
    return problems


def check_run_as_image_user(objs: Sequence[Obj]) -> list[str]:
    """Every container runs as the uid Keep's images are built for (their files belong to it)."""
    problems = []
    for w in workloads(objs):
        psc = pod_spec(w).get("securityContext", {})
        for c in all_containers(w):
            uid = c.get("securityContext", {}).get("runAsUser", psc.get("runAsUser"))
            if uid != contract.RUN_AS:
                problems.append(
                    f"{object_id(w)} container {c['name']}: runAsUser {uid} is not {contract.RUN_AS}"
                )
    return problems


def check_topology_spread(objs: Sequence[Obj]) -> list[str]:
    problems = []
    for w in workloads(objs):
        tscs = pod_spec(w).get("topologySpreadConstraints", [])
        zone = [t for t in tscs if t.get("topologyKey") == "topology.kubernetes.io/zone"]
        if not zone:
            problems.append(f"{object_id(w)}: no topologySpreadConstraint across zones")
        for t in tscs:
            if not selector_matches(t.get("labelSelector"), pod_labels(w)):
                problems.append(
                    f"{object_id(w)}: topologySpreadConstraint selector does not match its pods"
                )
    return problems


def check_termination(objs: Sequence[Obj]) -> list[str]:
    problems = []
    for w in workloads(objs):
        ps = pod_spec(w)
        tgps = ps.get("terminationGracePeriodSeconds", 30)
        for c in containers(w):
            grace = 0
            if c["name"] in contract.SERVICES:
                value = env_entries(c).get("SHUTDOWN_GRACE_SECONDS", {}).get("value")
                if value is None:
                    problems.append(f"{object_id(w)}: SHUTDOWN_GRACE_SECONDS not set")
                grace = int(value) if value is not None else contract.DEFAULT_SHUTDOWN_GRACE_SECONDS
            sleep = (((c.get("lifecycle") or {}).get("preStop") or {}).get("sleep") or {}).get(
                "seconds", 0
            )
            needed = grace + sleep + contract.DRAIN_MARGIN_SECONDS
            if tgps < needed:
                problems.append(
                    f"{object_id(w)}: terminationGracePeriodSeconds {tgps} < preStop {sleep} + "
                    f"drain {grace} + margin {contract.DRAIN_MARGIN_SECONDS}"
                )
    return problems


def check_service_ports(objs: Sequence[Obj]) -> list[str]:
    """Services select pods, their targetPorts are container ports, contract ports and probe ports match."""
    problems = []
    ws = workloads(objs)
    for s in of_kind(objs, "Service"):
        sid = object_id(s)
        ns = s["metadata"].get("namespace")
        if ns == "emissary":
            continue  # selects the separately installed Emissary pods
        targets = [
            w
            for w in ws
            if w["metadata"].get("namespace") == ns
            and selector_matches({"matchLabels": s["spec"].get("selector")}, pod_labels(w))
        ]
        if not targets:
            problems.append(f"{sid}: selects no workload")
        for port in s["spec"]["ports"]:
            target = port.get("targetPort", port["port"])
            for w in targets:
                resolved = [resolve_port(c, target) for c in containers(w)]
                if not any(resolved):
                    problems.append(
                        f"{sid} port {port.get('name')}: targetPort {target} is not a port of {object_id(w)}"
                    )
                elif port["port"] not in resolved:
                    problems.append(
                        f"{sid} port {port.get('name')}: port {port['port']} differs from container port {resolved}"
                    )
    for w in ws:
        for c in containers(w):
            for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
                spec = c.get(probe)
                if not spec:
                    continue
                for handler in ("grpc", "httpGet", "tcpSocket"):
                    if handler in spec and resolve_port(c, spec[handler].get("port")) is None:
                        problems.append(
                            f"{object_id(w)} {c['name']}: {probe} port {spec[handler].get('port')} is not a container port"
                        )
            svc = contract.SERVICES.get(c["name"])
            if svc is None:
                continue
            ports = {p.get("name"): p["containerPort"] for p in c.get("ports", [])}
            if ports.get(svc.port_name) != svc.port or ports.get("metrics") != svc.metrics_port:
                problems.append(
                    f"{object_id(w)}: ports {ports} differ from the contract ({svc.port_name} {svc.port}, metrics {svc.metrics_port})"
                )
            env = env_entries(c)
            port_var = "GRPC_PORT" if svc.port_name == "grpc" else "HTTP_PORT"
            for var, want in ((port_var, svc.port), ("METRICS_PORT", svc.metrics_port)):
                if env.get(var, {}).get("value") != str(want):
                    problems.append(f"{object_id(w)}: env {var} must be {want}")
    return problems


def check_references(objs: Sequence[Obj]) -> list[str]:
    """ConfigMaps referenced exist; Secrets are only referenced, never rendered (kept out of git)."""
    problems = [
        f"{object_id(s)}: Secret rendered from git; create it out of band instead"
        for s in of_kind(objs, "Secret")
    ]
    for w in workloads(objs):
        ns = w["metadata"].get("namespace")
        refs = [v["configMap"]["name"] for v in pod_spec(w).get("volumes", []) if "configMap" in v]
        for c in containers(w):
            refs += [s["configMapRef"]["name"] for s in c.get("envFrom", []) if "configMapRef" in s]
            refs += [
                e["valueFrom"]["configMapKeyRef"]["name"]
                for e in c.get("env", [])
                if "configMapKeyRef" in e.get("valueFrom", {})
            ]
        for r in refs:
            if configmap(objs, r, ns) is None:
                problems.append(f"{object_id(w)}: references missing ConfigMap {r}")
        sa = pod_spec(w).get("serviceAccountName")
        if not any(
            o["metadata"]["name"] == sa and o["metadata"].get("namespace") == ns
            for o in of_kind(objs, "ServiceAccount")
        ):
            problems.append(f"{object_id(w)}: ServiceAccount {sa} not rendered")
    return problems


def secret_refs(objs: Sequence[Obj]) -> set[str]:
    """namespace/name#key of every Secret the workloads reference (to be created out of band);
    a Secret mounted whole as a volume is namespace/name#*."""
    refs = set()
    for w in workloads(objs):
        for volume in pod_spec(w).get("volumes", []):
            if "secret" in volume:
                refs.add(f"{w['metadata'].get('namespace')}/{volume['secret']['secretName']}#*")
        for c in containers(w):
            for e in c.get("env", []):
                ref = e.get("valueFrom", {}).get("secretKeyRef")
                if ref:
                    refs.add(f"{w['metadata'].get('namespace')}/{ref['name']}#{ref['key']}")
    return refs


def check_settings_env(objs: Sequence[Obj]) -> list[str]:
    """Env vars set on each service container are fields of keep.<svc>.settings.Settings. A var that is
    not a field is allowed only as a helper referenced as $(VAR) by another var of the container."""
    problems = []
    for w in workloads(objs):
        for c in containers(w):
            if c["name"] not in contract.SERVICES:
                continue
            fields = service_env_vars(c["name"])
            env = container_env(objs, w, c)
            referenced = {
                m
                for v in env.values()
                if v
                for m in re.findall(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)", v)
            }
            for name in sorted(env):
                if name not in fields and name not in referenced:
                    problems.append(
                        f"{object_id(w)}: env {name} is not a field of keep.{c['name']}.settings.Settings {sorted(fields)}"
                    )
    return problems


CHECKS = (
    check_probes,
    check_requests_within_limits,
    check_run_as_image_user,
    check_topology_spread,
    check_termination,
    check_pdb_hpa,
    check_service_ports,
    check_references,
)
