"""Schema validation: core Kubernetes kinds through kubernetes-validate (strict, offline), custom
resources (Emissary, Argo CD, GKE) through the small JSON schemas in ./schemas/."""

from __future__ import annotations

import functools
import json
from importlib import resources
from typing import Any

# No types-jsonschema in the resolve yet: the one call site is typed below.
import jsonschema
import kubernetes_validate
import yaml
from referencing import Registry, Resource

from keep.ratelimit.config import LimitsConfigError, parse_limits

KUBERNETES_VERSION = "1.32.0"

# (apiVersion, kind) -> schema file in keep/deploycheck/schemas/
CRD_SCHEMAS: dict[tuple[str, str], str] = {
    ("getambassador.io/v3alpha1", "Mapping"): "getambassador.io_mapping.json",
    ("getambassador.io/v3alpha1", "Host"): "getambassador.io_host.json",
    ("getambassador.io/v3alpha1", "Listener"): "getambassador.io_listener.json",
    ("getambassador.io/v3alpha1", "RateLimitService"): "getambassador.io_ratelimitservice.json",
    ("getambassador.io/v3alpha1", "Module"): "getambassador.io_module.json",
    ("argoproj.io/v1alpha1", "Application"): "argoproj.io_application.json",
    ("argoproj.io/v1alpha1", "ApplicationSet"): "argoproj.io_applicationset.json",
    ("argoproj.io/v1alpha1", "AppProject"): "argoproj.io_appproject.json",
    ("networking.gke.io/v1", "ManagedCertificate"): "networking.gke.io_managedcertificate.json",
    ("networking.gke.io/v1beta1", "FrontendConfig"): "networking.gke.io_frontendconfig.json",
    ("cloud.google.com/v1", "BackendConfig"): "cloud.google.com_backendconfig.json",
    # Generated from the projects' own CRDs by keep.deploycheck.crd_pin (source in `$comment`).
    (
        "monitoring.googleapis.com/v1",
        "PodMonitoring",
    ): "monitoring.googleapis.com_podmonitoring.json",
    ("monitoring.googleapis.com/v1", "Rules"): "monitoring.googleapis.com_rules.json",
    ("monitoring.coreos.com/v1", "ServiceMonitor"): "monitoring.coreos.com_servicemonitor.json",
    ("monitoring.coreos.com/v1", "PrometheusRule"): "monitoring.coreos.com_prometheusrule.json",
    ("dapr.io/v1alpha1", "Resiliency"): "dapr.io_resiliency.json",
    ("dapr.io/v1alpha1", "Configuration"): "dapr.io_configuration.json",
    ("serving.knative.dev/v1", "Service"): "serving.knative.dev_service.json",
}


def _schema_files() -> list[str]:
    return sorted(
        p.name
        for p in resources.files(__package__).joinpath("schemas").iterdir()
        if p.name.endswith(".json")
    )


def load_schema(name: str) -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(
        resources.files(__package__).joinpath("schemas", name).read_text()
    )
    return schema


@functools.lru_cache(maxsize=1)
def _registry() -> Registry:
    k8s_defs = json.loads(
        resources.files("kubernetes_validate")
        .joinpath(
            "kubernetes-json-schema", f"v{KUBERNETES_VERSION}-local-strict", "_definitions.json"
        )
        .read_text()
    )
    registry: Registry = Resource.from_contents(k8s_defs) @ Registry()
    for name in _schema_files():
        registry = Resource.from_contents(load_schema(name)) @ registry
    return registry


def _errors(schema: dict[str, Any], instance: Any) -> list[str]:
    validator = jsonschema.Draft202012Validator(schema, registry=_registry())
    return [
        f"{'.'.join(str(p) for p in e.absolute_path) or '<root>'}: {e.message}"
        for e in sorted(
            validator.iter_errors(instance), key=lambda e: list(map(str, e.absolute_path))
        )
    ]


def validate_object(obj: dict[str, Any]) -> list[str]:
    """Validation errors for one rendered object (empty list: valid). Unknown kinds are errors."""
    key = (obj.get("apiVersion", ""), obj.get("kind", ""))
    if key in CRD_SCHEMAS:
        return _errors(load_schema(CRD_SCHEMAS[key]), obj)
    if "." in key[0].split("/")[0] and not key[0].split("/")[0].endswith(".k8s.io"):
        return [
            f"no schema for custom resource {key[0]} {key[1]}: add one to keep/deploycheck/schemas"
        ]
    try:
        kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)
    except kubernetes_validate.ValidationError as e:
        path = ".".join(str(p) for p in e.path) or "<root>"
        return [f"{path}: {e.message}"]
    except kubernetes_validate.SchemaNotFoundError as e:
        return [e.message]
    return []


def validate_limits(doc: Any) -> list[str]:
    """The limits ConfigMap through ratelimit's own loader: the format has one definition, and a
    file that passes here is one the service will start with."""
    try:
        parse_limits(yaml.safe_dump(doc), "limits.yaml")
    except LimitsConfigError as e:
        return [line.strip() for line in str(e).splitlines()[1:]] or [str(e)]
    return []
