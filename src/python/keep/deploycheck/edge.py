"""The edge: Emissary Mapping/Host/Listener/RateLimitService and the limits file, the GKE
Ingress with its ManagedCertificate, FrontendConfig and BackendConfig, the gateway's PUBLIC_URL,
the ArgoCD webhook route, and no component placeholder left in an overlay."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import yaml

from keep.deploycheck import contract
from keep.deploycheck.objects import (
    Obj,
    configmap,
    container_env,
    containers,
    of_kind,
    pod_spec,
    workloads,
)
from keep.deploycheck.render import object_id
from keep.deploycheck.schemas import validate_limits


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
    # One ManagedCertificate per host: a multi-domain certificate is provisioned only when every
    # domain validates, so one host's DNS problem would take the others' HTTPS down too.
    cert_names = [
        n.strip() for n in ann.get("networking.gke.io/managed-certificates", "").split(",") if n
    ]
    certs = [_one(objs, "ManagedCertificate", n) for n in cert_names]
    if not cert_names or None in certs:
        problems.append(
            f"Ingress: managed-certificates {cert_names} names no rendered ManagedCertificate"
        )
    domains = []
    for cert in (c for c in certs if c):
        if len(cert["spec"]["domains"]) != 1:
            problems.append(
                f"{object_id(cert)}: domains {cert['spec']['domains']}: one host per certificate"
            )
        domains += cert["spec"]["domains"]
    if sorted(domains) != sorted(hosts):
        problems.append(
            f"ManagedCertificate domains {sorted(domains)} != Emissary Hosts {sorted(hosts)}"
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
        for c in containers(w):
            if (
                c["name"] == "gateway"
                and container_env(objs, w, c).get("PUBLIC_URL") != f"https://{host}"
            ):
                problems.append(f"gateway PUBLIC_URL is not https://{host}")
    return problems


def limits_doc(objs: Sequence[Obj]) -> Any:
    """The limits file the ratelimit Deployment mounts at RATELIMIT_CONFIG, or a problem string."""
    for w in workloads(objs):
        for c in containers(w):
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
                    cm = configmap(
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
