"""Policy checks over rendered manifests. Each check returns a list of problems (empty: passes)."""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import yaml

from keep.deploycheck import contract
from keep.deploycheck.render import object_id
from keep.deploycheck.schemas import validate_limits
from keep.deploycheck.settings_env import service_env_vars

Obj = dict[str, Any]
WORKLOAD_KINDS = ("Deployment", "StatefulSet")
NAME = "app.kubernetes.io/name"


def of_kind(objs: Iterable[Obj], kind: str) -> list[Obj]:
    return [o for o in objs if o.get("kind") == kind]


def workloads(objs: Iterable[Obj]) -> list[Obj]:
    return [o for o in objs if o.get("kind") in WORKLOAD_KINDS]


def pod_spec(w: Obj) -> Obj:
    spec: Obj = w["spec"]["template"]["spec"]
    return spec


def pod_labels(w: Obj) -> dict[str, str]:
    labels: dict[str, str] = w["spec"]["template"]["metadata"].get("labels", {})
    return labels


def selector_matches(selector: Obj | None, labels: dict[str, str]) -> bool:
    if not selector:
        return False
    for k, v in (selector.get("matchLabels") or {}).items():
        if labels.get(k) != v:
            return False
    for expr in selector.get("matchExpressions") or []:
        value = labels.get(expr["key"])
        op = expr["operator"]
        if op == "In" and value not in expr["values"]:
            return False
        if op == "NotIn" and value in expr["values"]:
            return False
        if op == "Exists" and value is None:
            return False
        if op == "DoesNotExist" and value is not None:
            return False
    return True


def _containers(w: Obj) -> list[Obj]:
    return list(pod_spec(w).get("containers", []))


def _env(c: Obj) -> dict[str, Obj]:
    return {e["name"]: e for e in c.get("env", [])}


def _resolve_port(c: Obj, port: Any) -> int | None:
    if isinstance(port, int):
        return port if any(p["containerPort"] == port for p in c.get("ports", [])) else None
    for p in c.get("ports", []):
        if p.get("name") == port:
            return int(p["containerPort"])
    return None


# ---------------------------------------------------------------------------------------------------
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
    problems = []
    for w in workloads(objs):
        for c in _containers(w):
            where = f"{object_id(w)} container {c['name']}"
            for probe in ("livenessProbe", "readinessProbe"):
                if probe not in c:
                    problems.append(f"{where}: no {probe}")
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
                        or _resolve_port(c, http.get("port")) != svc.port
                    ):
                        problems.append(
                            f"{where}: {probe} must be httpGet {path} on port {svc.port}"
                        )
    return problems


def _quantity(q: Any) -> float:
    s = str(q)
    units = {"m": 1e-3, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "k": 1e3, "M": 1e6, "G": 1e9}
    for u, f in sorted(units.items(), key=lambda x: -len(x[0])):
        if s.endswith(u):
            return float(s[: -len(u)]) * f
    return float(s)


def check_resources(objs: Sequence[Obj]) -> list[str]:
    problems = []
    for w in workloads(objs):
        for c in _containers(w) + list(pod_spec(w).get("initContainers", [])):
            res = c.get("resources", {})
            for kind in ("requests", "limits"):
                for r in ("cpu", "memory"):
                    if r not in res.get(kind, {}):
                        problems.append(f"{object_id(w)} container {c['name']}: no {kind}.{r}")
            for r in ("cpu", "memory"):
                req, lim = res.get("requests", {}).get(r), res.get("limits", {}).get(r)
                if req is not None and lim is not None and _quantity(req) > _quantity(lim):
                    problems.append(
                        f"{object_id(w)} container {c['name']}: requests.{r} > limits.{r}"
                    )
    return problems


def check_security(objs: Sequence[Obj]) -> list[str]:
    problems = []
    for w in workloads(objs):
        ps = pod_spec(w)
        psc = ps.get("securityContext", {})
        wid = object_id(w)
        for key in ("hostNetwork", "hostPID", "hostIPC"):
            if ps.get(key):
                problems.append(f"{wid}: {key} is set")
        if any("hostPath" in v for v in ps.get("volumes", [])):
            problems.append(f"{wid}: hostPath volume")
        if ps.get("automountServiceAccountToken") is not False:
            problems.append(f"{wid}: automountServiceAccountToken must be false")
        for c in _containers(w) + list(ps.get("initContainers", [])):
            csc = c.get("securityContext", {})
            where = f"{wid} container {c['name']}"

            def eff(key: str, csc: Obj = csc, psc: Obj = psc) -> Any:
                return csc.get(key, psc.get(key))

            if eff("runAsNonRoot") is not True:
                problems.append(f"{where}: runAsNonRoot is not true")
            if eff("runAsUser") != contract.RUN_AS:
                problems.append(f"{where}: runAsUser is not {contract.RUN_AS}")
            if (eff("seccompProfile") or {}).get("type") != "RuntimeDefault":
                problems.append(f"{where}: seccompProfile is not RuntimeDefault")
            if csc.get("allowPrivilegeEscalation") is not False:
                problems.append(f"{where}: allowPrivilegeEscalation is not false")
            if csc.get("readOnlyRootFilesystem") is not True:
                problems.append(f"{where}: readOnlyRootFilesystem is not true")
            if csc.get("privileged"):
                problems.append(f"{where}: privileged")
            caps = csc.get("capabilities", {})
            if "ALL" not in caps.get("drop", []):
                problems.append(f"{where}: capabilities.drop does not contain ALL")
            if caps.get("add"):
                problems.append(f"{where}: adds capabilities {caps['add']}")
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
        for c in _containers(w):
            grace = 0
            if c["name"] in contract.SERVICES:
                value = _env(c).get("SHUTDOWN_GRACE_SECONDS", {}).get("value")
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
                resolved = [_resolve_port(c, target) for c in _containers(w)]
                if not any(resolved):
                    problems.append(
                        f"{sid} port {port.get('name')}: targetPort {target} is not a port of {object_id(w)}"
                    )
                elif port["port"] not in resolved:
                    problems.append(
                        f"{sid} port {port.get('name')}: port {port['port']} differs from container port {resolved}"
                    )
    for w in ws:
        for c in _containers(w):
            for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
                spec = c.get(probe)
                if not spec:
                    continue
                for handler in ("grpc", "httpGet", "tcpSocket"):
                    if handler in spec and _resolve_port(c, spec[handler].get("port")) is None:
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
            env = _env(c)
            port_var = "GRPC_PORT" if svc.port_name == "grpc" else "HTTP_PORT"
            for var, want in ((port_var, svc.port), ("METRICS_PORT", svc.metrics_port)):
                if env.get(var, {}).get("value") != str(want):
                    problems.append(f"{object_id(w)}: env {var} must be {want}")
    return problems


def _configmap(objs: Sequence[Obj], name: str, ns: str | None) -> Obj | None:
    for cm in of_kind(objs, "ConfigMap"):
        if cm["metadata"]["name"] == name and cm["metadata"].get("namespace") == ns:
            return cm
    return None


def container_env(objs: Sequence[Obj], w: Obj, c: Obj) -> dict[str, str | None]:
    """Every env var the container gets: env entries (value, or None for valueFrom) and envFrom keys."""
    out: dict[str, str | None] = {}
    ns = w["metadata"].get("namespace")
    for src in c.get("envFrom", []):
        ref = src.get("configMapRef")
        if ref:
            cm = _configmap(objs, ref["name"], ns)
            out.update((cm or {}).get("data", {}))
    for e in c.get("env", []):
        out[e["name"]] = e.get("value")
    return out


def check_references(objs: Sequence[Obj]) -> list[str]:
    """ConfigMaps referenced exist; Secrets are only referenced, never rendered (kept out of git)."""
    problems = [
        f"{object_id(s)}: Secret rendered from git; create it out of band instead"
        for s in of_kind(objs, "Secret")
    ]
    for w in workloads(objs):
        ns = w["metadata"].get("namespace")
        refs = [v["configMap"]["name"] for v in pod_spec(w).get("volumes", []) if "configMap" in v]
        for c in _containers(w):
            refs += [s["configMapRef"]["name"] for s in c.get("envFrom", []) if "configMapRef" in s]
            refs += [
                e["valueFrom"]["configMapKeyRef"]["name"]
                for e in c.get("env", [])
                if "configMapKeyRef" in e.get("valueFrom", {})
            ]
        for r in refs:
            if _configmap(objs, r, ns) is None:
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
        for c in _containers(w):
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
        for c in _containers(w):
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


def images(objs: Sequence[Obj]) -> list[str]:
    return sorted(
        {
            c["image"]
            for w in workloads(objs)
            for c in _containers(w) + list(pod_spec(w).get("initContainers", []))
        }
    )


def _declares_docker_image(build_file: Path, repository: str) -> str | None:
    """None if BUILD declares docker_image(name="image") for `repository`, else the problem."""
    tree = ast.parse(build_file.read_text(), filename=str(build_file))
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "docker_image"
        ):
            kw = {k.arg: k.value for k in node.keywords}
            name = kw.get("name")
            if not (isinstance(name, ast.Constant) and name.value == "image"):
                continue
            repo = kw.get("repository")
            if repo is not None and not (
                isinstance(repo, ast.Constant) and str(repo.value).endswith(repository)
            ):
                return f"{build_file}: docker_image(name='image') has repository {ast.unparse(repo)}, expected {repository}"
            return None
    return f'{build_file} declares no docker_image(name="image", ...)'


def check_images(objs: Sequence[Obj], root: Path) -> list[str]:
    problems = []
    for image in images(objs):
        ref, _, tag = image.rpartition(":")
        if not ref or "/" in tag:
            problems.append(f"{image}: no tag (is the overlay's images: entry missing?)")
            continue
        if tag == "latest":
            problems.append(f"{image}: uses the latest tag")
        if not ref.startswith(contract.REGISTRY + "/"):
            problems.append(f"{image}: not in {contract.REGISTRY}")
            continue
        name = ref[len(contract.REGISTRY) + 1 :]
        if name in contract.BUILD_SUPPORT_IMAGES:
            needle = contract.BUILD_SUPPORT_IMAGES[name]
            bs = root / "build-support"
            hits = (
                [p for p in bs.rglob("*") if p.is_file() and needle in p.read_text(errors="ignore")]
                if bs.is_dir()
                else []
            )
            if not hits:
                problems.append(f"{image}: no script under build-support/ builds {needle}")
            continue
        build = root / "src/python/keep" / name / "BUILD"
        if not build.is_file():
            problems.append(
                f"{image}: {build.relative_to(root)} is missing (expected docker_image target src/python/keep/{name}:image)"
            )
            continue
        problem = _declares_docker_image(build, name)
        if problem:
            problems.append(f"{image}: {problem}")
    return problems


# --------------------------------------------------------------------------------------- network
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


# ------------------------------------------------------------------------------------------- edge
def _one(objs: Sequence[Obj], kind: str, name: str) -> Obj | None:
    found = [o for o in objs if o["kind"] == kind and o["metadata"]["name"] == name]
    return found[0] if len(found) == 1 else None


def check_edge(objs: Sequence[Obj], env: str) -> list[str]:
    problems = []
    want = contract.ENVIRONMENTS[env]
    ns, host = want["namespace"], want["host"]
    mapping = _one(objs, "Mapping", "keep-gateway")
    rls = of_kind(objs, "RateLimitService")
    hosts = {h["spec"]["hostname"] for h in of_kind(objs, "Host")}
    if not mapping:
        return [f"{env}: no Mapping keep-gateway"]
    if mapping["spec"]["service"] != f"gateway.{ns}:{contract.SERVICES['gateway'].port}":
        problems.append(
            f"Mapping keep-gateway: service {mapping['spec']['service']} is not gateway.{ns}:8080"
        )
    if mapping["spec"]["hostname"] != host or host not in hosts:
        problems.append(
            f"{env}: gateway hostname {mapping['spec']['hostname']}/Hosts {sorted(hosts)} differ from {host}"
        )
    for h in of_kind(objs, "Host"):
        if (h["spec"].get("requestPolicy", {}).get("insecure", {}).get("action")) != "Redirect":
            problems.append(f"{object_id(h)}: insecure requests are not redirected to HTTPS")
    if not any(
        listener["spec"].get("securityModel") == "XFP" and listener["spec"]["port"] == 8080
        for listener in of_kind(objs, "Listener")
    ):
        problems.append(f"{env}: no XFP Listener on 8080 (TLS ends at the Google load balancer)")
    if (
        len(rls) != 1
        or rls[0]["spec"]["service"] != f"ratelimit.{ns}:{contract.SERVICES['ratelimit'].port}"
        or rls[0]["spec"].get("protocol_version") != "v3"
    ):
        problems.append(
            f"{env}: expected one RateLimitService -> ratelimit.{ns}:50052 protocol_version v3"
        )
    # Mapping labels must use keys the limits file knows, in the RateLimitService's domain.
    limits = limits_doc(objs)
    if isinstance(limits, str):
        problems.append(limits)
    else:
        problems += [f"ratelimit limits.yaml: {e}" for e in validate_limits(limits)]
        domain = rls[0]["spec"].get("domain", "ambassador") if rls else None
        if limits.get("domain") != domain:
            problems.append(
                f"limits domain {limits.get('domain')} != RateLimitService domain {domain}"
            )
        top = {d["key"]: d for d in limits.get("descriptors", [])}
        for m in of_kind(objs, "Mapping"):
            for dom, groups in (m["spec"].get("labels") or {}).items():
                if dom != domain:
                    problems.append(
                        f"{object_id(m)}: labels domain {dom} is not the RateLimitService domain {domain}"
                    )
                for group in groups:
                    for specs in group.values():
                        first = next(iter(specs[0].values())).get("key")
                        if first not in top:
                            problems.append(
                                f"{object_id(m)}: descriptor key {first} has no limit in limits.yaml"
                            )
        actions = {d.get("value") for d in limits.get("descriptors", []) if d["key"] == "action"}
        if not {"create", "reveal"} <= actions:
            problems.append(
                f"limits.yaml: action descriptors {sorted(map(str, actions))} lack create/reveal"
            )
        for d in limits.get("descriptors", []):
            if d["key"] == "action" and not any(
                n["key"] == "remote_address" and "rate_limit" in n for n in d.get("descriptors", [])
            ):
                problems.append(
                    f"limits.yaml: action={d.get('value')} has no nested remote_address limit"
                )
    # GKE load balancer
    ing = _one(objs, "Ingress", "keep-edge")
    if not ing:
        return problems + [f"{env}: no Ingress keep-edge"]
    ann = ing["metadata"].get("annotations", {})
    if ann.get("kubernetes.io/ingress.global-static-ip-name") != want["static_ip"]:
        problems.append(
            f"Ingress: static IP {ann.get('kubernetes.io/ingress.global-static-ip-name')} is not {want['static_ip']}"
        )
    cert = _one(objs, "ManagedCertificate", ann.get("networking.gke.io/managed-certificates", ""))
    if not cert:
        problems.append(
            "Ingress: managed-certificates annotation names no rendered ManagedCertificate"
        )
    elif set(cert["spec"]["domains"]) != hosts:
        problems.append(
            f"ManagedCertificate domains {cert['spec']['domains']} != Emissary Hosts {sorted(hosts)}"
        )
    fc = _one(objs, "FrontendConfig", ann.get("networking.gke.io/v1beta1.FrontendConfig", ""))
    if not fc or not fc["spec"].get("redirectToHttps", {}).get("enabled"):
        problems.append("Ingress: no FrontendConfig with redirectToHttps enabled")
    backend = ing["spec"].get("defaultBackend", {}).get("service", {})
    svc = _one(objs, "Service", backend.get("name", ""))
    if not svc or svc["metadata"].get("namespace") != ing["metadata"].get("namespace"):
        problems.append("Ingress: default backend Service is not rendered in the Ingress namespace")
    else:
        if not any(
            p["port"] == backend.get("port", {}).get("number") for p in svc["spec"]["ports"]
        ):
            problems.append("Ingress: backend port is not a port of the Service")
        sann = svc["metadata"].get("annotations", {})

        try:
            bc_name = json.loads(sann.get("cloud.google.com/backend-config", "{}")).get("default")
        except ValueError:
            bc_name = None
        bc = _one(objs, "BackendConfig", bc_name or "")
        if not bc:
            problems.append(
                f"{object_id(svc)}: cloud.google.com/backend-config names no rendered BackendConfig"
            )
        else:
            hc = bc["spec"].get("healthCheck", {})
            if (
                hc.get("port") != contract.EMISSARY_READY_PORT
                or hc.get("requestPath") != contract.EMISSARY_READY_PATH
            ):
                problems.append(
                    f"{object_id(bc)}: health check is not Emissary readiness {contract.EMISSARY_READY_PORT}{contract.EMISSARY_READY_PATH}"
                )
        if '"ingress": true' not in sann.get("cloud.google.com/neg", ""):
            problems.append(f"{object_id(svc)}: not a NEG backend (cloud.google.com/neg)")
    # PUBLIC_URL of the gateway
    for w in workloads(objs):
        for c in _containers(w):
            if (
                c["name"] == "gateway"
                and container_env(objs, w, c).get("PUBLIC_URL") != f"https://{host}"
            ):
                problems.append(f"gateway PUBLIC_URL is not https://{host}")
    return problems


def limits_doc(objs: Sequence[Obj]) -> Any:
    """The limits file the ratelimit Deployment mounts at RATELIMIT_CONFIG, or a problem string."""
    for w in workloads(objs):
        for c in _containers(w):
            if c["name"] != "ratelimit":
                continue
            path = container_env(objs, w, c).get("RATELIMIT_CONFIG")
            if not path:
                return "ratelimit: RATELIMIT_CONFIG not set"
            for m in c.get("volumeMounts", []):
                if path.startswith(m["mountPath"].rstrip("/") + "/"):
                    vol: Obj = next(
                        (v for v in pod_spec(w).get("volumes", []) if v["name"] == m["name"]), {}
                    )
                    cm = _configmap(
                        objs,
                        vol.get("configMap", {}).get("name", ""),
                        w["metadata"].get("namespace"),
                    )
                    key = path[len(m["mountPath"].rstrip("/")) + 1 :]
                    if not cm or key not in cm.get("data", {}):
                        return f"ratelimit: {path} is not a key of a mounted ConfigMap"
                    return yaml.safe_load(cm["data"][key])
            return f"ratelimit: RATELIMIT_CONFIG {path} is not under a volume mount"
    return "no ratelimit container"


def check_placeholders(objs: Sequence[Obj]) -> list[str]:
    text = yaml.safe_dump_all(list(objs))
    return [
        f"placeholder {p!r} left in the rendered output (an overlay must patch it)"
        for p in contract.PLACEHOLDERS
        if p in text
    ]


def check_argocd_webhook(all_overlays: dict[str, Sequence[Obj]]) -> list[str]:
    found = []
    for env, objs in all_overlays.items():
        for m in of_kind(objs, "Mapping"):
            if "argocd-server" in m["spec"]["service"]:
                found.append(env)
                s = m["spec"]
                if (
                    s.get("prefix") != contract.ARGOCD_WEBHOOK_PATH
                    or s.get("rewrite") != contract.ARGOCD_WEBHOOK_PATH
                ):
                    problems = [
                        f"{env} {object_id(m)}: must route prefix {contract.ARGOCD_WEBHOOK_PATH} with rewrite kept"
                    ]
                    return problems
                if s.get("hostname") != f"argocd.{contract.ENVIRONMENTS[env]['host']}":
                    return [
                        f"{env} {object_id(m)}: hostname must be argocd.{contract.ENVIRONMENTS[env]['host']}"
                    ]
                if not s["service"].startswith(
                    ("argocd-server.argocd:", "https://argocd-server.argocd:")
                ):
                    return [
                        f"{env} {object_id(m)}: service must be argocd-server in namespace argocd"
                    ]
                if (
                    m["metadata"].get("annotations", {}).get("keep.example.com/webhook-secret")
                    != contract.ARGOCD_WEBHOOK_SECRET_REF
                ):
                    return [
                        f"{env} {object_id(m)}: does not reference the webhook secret {contract.ARGOCD_WEBHOOK_SECRET_REF}"
                    ]
    return (
        []
        if len(found) == 1
        else [f"expected the ArgoCD webhook Mapping in exactly one overlay, found in {found}"]
    )


ALL_OVERLAY_CHECKS = (
    check_probes,
    check_resources,
    check_security,
    check_topology_spread,
    check_termination,
    check_pdb_hpa,
    check_service_ports,
    check_references,
    check_network_policies,
    check_placeholders,
)
