"""Names, ports and images the manifests must agree with, as the checks see them: the services'
ports, health services and env come from their own code (keep.<svc>.settings, READMEs), the registry
and environments from infra/terraform and argocd/."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Service:
    name: str
    port_name: str  # "grpc" or "http"
    port: int
    metrics_port: int


SERVICES = {
    s.name: s
    for s in (
        Service("datastorage", "grpc", 50051, 9101),
        Service("ratelimit", "grpc", 50052, 9102),
        Service("gateway", "http", 8080, 9103),
    )
}
GATEWAY_HEALTH = {"livenessProbe": "/healthz", "readinessProbe": "/readyz"}
REGISTRY = "europe-west1-docker.pkg.dev/keep-artifacts/keep"
# Images not built from src/python/keep/<name>: built by a build-support script instead.
BUILD_SUPPORT_IMAGES = {"redis": "keep/redis", "redis-exporter": "keep/redis-exporter"}
RUN_AS = 10001
DEFAULT_SHUTDOWN_GRACE_SECONDS = 20
DRAIN_MARGIN_SECONDS = 5

# NetworkPolicy caller graph: workload -> the peers allowed to open connections to it.
EMISSARY = "emissary/emissary-ingress"
# Who scrapes the metrics ports, per monitoring component: exactly one of them is admitted.
SCRAPERS = {
    "monitoring-gmp": "gmp-system/collector",
    "monitoring-prometheus-operator": "monitoring/prometheus",
}
# Components no overlay uses: alternatives for other clusters, rendered and checked on the base
# (deploycheck's tests) and documented in deploy/README.md.
ALTERNATIVE_COMPONENTS = {"monitoring-prometheus-operator", "dapr", "knative"}
# Exporter sidecars' metrics ports (besides each service's own metrics_port).
EXPORTER_METRICS_PORTS = {"redis": 9121}
EXPECTED_CALLERS = {
    "gateway": {EMISSARY},
    "datastorage": {"gateway"},
    "ratelimit": {"gateway", EMISSARY},
    "redis": {"datastorage", "ratelimit"},
}
EXPECTED_EGRESS = {
    "gateway": {("datastorage", 50051), ("ratelimit", 50052)},
    "datastorage": {("redis", 6379)},
    "ratelimit": {("redis", 6379)},
    "redis": set(),
}

EMISSARY_READY_PORT = 8877
EMISSARY_READY_PATH = "/ambassador/v0/check_ready"
ARGOCD_WEBHOOK_PATH = "/api/webhook"
ARGOCD_WEBHOOK_SECRET_REF = "argocd/argocd-secret#webhook.github.secret"
REPO_URL = "https://github.com/keep-dev/keep.git"
ENVIRONMENTS = {
    "dev": {"namespace": "keep-dev", "host": "keep-dev.example.com", "static_ip": "keep-dev-ip"},
    "prod": {"namespace": "keep-prod", "host": "keep.example.com", "static_ip": "keep-prod-ip"},
}
# Component placeholders that an overlay must replace.
PLACEHOLDERS = (".invalid", "keep-app", "192.0.2.")
