"""Wait until an environment is rolled out: every Deployment in namespace keep-<env> is fully
updated and available (the same rules as `kubectl rollout status`), and the ArgoCD Application
keep-<env> (namespace argocd) is Synced and Healthy.

One ArgoCD runs in each cluster (argocd/README.md), so both are read through the env's own
cluster: the kubeconfig context `gke_keep-<env>_europe-west1_keep-<env>` that `gcloud container
clusters get-credentials keep-<env>` writes, not whatever context happens to be current."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TextIO, cast

import urllib3.exceptions
from kubernetes import client as k8s
from kubernetes import config as k8s_config
from kubernetes.client.exceptions import ApiException

from keep.ops.errors import ExitCode, KeepctlError

ARGO_GROUP, ARGO_VERSION, ARGO_PLURAL, ARGO_NAMESPACE = (
    "argoproj.io",
    "v1alpha1",
    "applications",
    "argocd",
)
REQUEST_TIMEOUT = 15
REGION = "europe-west1"

READY, WAITING, FAILED = "ready", "waiting", "failed"


@dataclass(frozen=True)
class Status:
    obj: str
    state: str
    message: str

    def __str__(self) -> str:
        return f"{self.obj}: {self.message}"


def default_context(env: str) -> str:
    return f"gke_keep-{env}_{REGION}_keep-{env}"


def api_client(kubeconfig: str | None, context: str | None, env: str) -> k8s.ApiClient:
    """The env's own cluster: --context, else its gcloud-named context; in a pod without a
    kubeconfig, the cluster the pod runs in."""
    try:
        if (
            kubeconfig
            or os.environ.get("KUBECONFIG")
            or not os.environ.get("KUBERNETES_SERVICE_HOST")
        ):
            context = context or default_context(env)
            return cast(
                k8s.ApiClient,
                # kubernetes' config loaders are unannotated (no-untyped-call).
                k8s_config.new_client_from_config(  # type: ignore[no-untyped-call]
                    config_file=kubeconfig, context=context
                ),
            )
        k8s_config.load_incluster_config()  # type: ignore[no-untyped-call]
        return k8s.ApiClient()
    except (k8s_config.ConfigException, OSError) as exc:
        raise KeepctlError(
            f"no usable kubeconfig for keep-{env} ({exc}). Run `gcloud container clusters "
            f"get-credentials keep-{env} --region {REGION} --project keep-{env}` or pass "
            "--kubeconfig/--context.",
            ExitCode.AUTH,
        ) from exc


def deployment_status(dep: k8s.V1Deployment) -> Status:
    meta = dep.metadata or k8s.V1ObjectMeta()
    name = f"deployment/{meta.name}"
    status = dep.status or k8s.V1DeploymentStatus()
    wanted = dep.spec.replicas if dep.spec and dep.spec.replicas is not None else 1
    for cond in status.conditions or []:
        if cond.type == "Progressing" and cond.reason == "ProgressDeadlineExceeded":
            return Status(name, FAILED, f"{cond.reason}: {cond.message}")
    generation = meta.generation or 0
    if generation > (status.observed_generation or 0):
        return Status(
            name, WAITING, f"waiting for the controller to observe generation {generation}"
        )
    updated = status.updated_replicas or 0
    replicas = status.replicas or 0
    available = status.available_replicas or 0
    if updated < wanted:
        return Status(name, WAITING, f"{updated} of {wanted} replicas updated")
    if replicas > updated:
        return Status(name, WAITING, f"{replicas - updated} old replicas pending termination")
    if available < updated:
        return Status(name, WAITING, f"{available} of {updated} updated replicas available")
    return Status(name, READY, f"{available}/{wanted} available")


def application_status(app: dict[str, Any], revision: str | None = None) -> Status:
    name = f"application/{app.get('metadata', {}).get('name', '?')}"
    status = app.get("status") or {}
    sync = (status.get("sync") or {}).get("status", "Unknown")
    synced_rev = (status.get("sync") or {}).get("revision", "") or ""
    health = status.get("health") or {}
    health_status = health.get("status", "Unknown")
    op = status.get("operationState") or {}
    details = [c.get("message", "") for c in status.get("conditions") or [] if c.get("message")]
    if health.get("message"):
        details.append(health["message"])
    suffix = f" ({'; '.join(details)})" if details else ""
    if op.get("phase") in ("Failed", "Error"):
        return Status(
            name, FAILED, f"sync operation {op['phase']}: {op.get('message', 'no message')}"
        )
    if revision and not synced_rev.startswith(revision):
        return Status(
            name,
            WAITING,
            f"synced revision {synced_rev[:12] or 'none'}, waiting for {revision[:12]}",
        )
    if sync == "Synced" and health_status == "Healthy":
        return Status(name, READY, "Synced and Healthy")
    return Status(name, WAITING, f"sync={sync} health={health_status}{suffix}")


def _api_error(what: str, exc: ApiException) -> KeepctlError | None:
    """Permanent errors become KeepctlError; transient ones (5xx, 429) return None (retry)."""
    if exc.status in (401, 403):
        return KeepctlError(
            f"the Kubernetes API refused to {what} ({exc.status} {exc.reason}). Refresh credentials "
            "(`gcloud container clusters get-credentials ...`) or check RBAC.",
            ExitCode.AUTH,
        )
    if exc.status == 404:
        return KeepctlError(f"not found while trying to {what} (404)", ExitCode.NOT_FOUND)
    if exc.status is not None and 400 <= exc.status < 500 and exc.status != 429:
        return KeepctlError(f"cannot {what}: {exc.status} {exc.reason}", ExitCode.FAILED)
    return None


def collect(
    apps: k8s.AppsV1Api, custom: k8s.CustomObjectsApi, env: str, revision: str | None
) -> list[Status]:
    namespace = f"keep-{env}"
    app_name = f"keep-{env}"
    statuses: list[Status] = []
    try:
        deployments = apps.list_namespaced_deployment(
            namespace, _request_timeout=REQUEST_TIMEOUT
        ).items
    except ApiException as exc:
        err = _api_error(f"list Deployments in {namespace}", exc)
        if err:
            raise err from exc
        return [Status(f"namespace/{namespace}", WAITING, f"API error {exc.status}, retrying")]
    if not deployments:
        statuses.append(Status(f"namespace/{namespace}", WAITING, "no Deployments yet"))
    statuses.extend(
        deployment_status(d)
        for d in sorted(deployments, key=lambda d: str(d.metadata.name if d.metadata else ""))
    )
    try:
        app = custom.get_namespaced_custom_object(
            ARGO_GROUP,
            ARGO_VERSION,
            ARGO_NAMESPACE,
            ARGO_PLURAL,
            app_name,
            _request_timeout=REQUEST_TIMEOUT,
        )
    except ApiException as exc:
        if exc.status == 404:
            raise KeepctlError(
                f"ArgoCD Application {app_name} not found in namespace {ARGO_NAMESPACE} (is argocd/{env} applied in this cluster?)",
                ExitCode.NOT_FOUND,
            ) from exc
        err = _api_error(f"read Application {ARGO_NAMESPACE}/{app_name}", exc)
        if err:
            raise err from exc
        statuses.append(
            Status(f"application/{app_name}", WAITING, f"API error {exc.status}, retrying")
        )
    else:
        statuses.append(application_status(cast(dict[str, Any], app), revision))
    return statuses


def wait(
    api: k8s.ApiClient,
    env: str,
    *,
    timeout: float,
    interval: float,
    revision: str | None = None,
    out: TextIO,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> list[Status]:
    apps = k8s.AppsV1Api(api)
    custom = k8s.CustomObjectsApi(api)
    start = clock()
    last_seen: dict[str, str] = {}
    statuses: list[Status] = []
    while True:
        elapsed = clock() - start
        try:
            statuses = collect(apps, custom, env, revision)
        except urllib3.exceptions.HTTPError as exc:
            statuses = [
                Status("api-server", WAITING, f"unreachable ({exc.__class__.__name__}), retrying")
            ]
        for st in statuses:
            if last_seen.get(st.obj) != st.message:
                print(f"[{elapsed:5.0f}s] {st}", file=out, flush=True)
                last_seen[st.obj] = st.message
        failed = [s for s in statuses if s.state == FAILED]
        if failed:
            raise KeepctlError(
                "rollout failed: " + "; ".join(str(s) for s in failed), ExitCode.FAILED
            )
        if all(s.state == READY for s in statuses):
            print(
                f"[{elapsed:5.0f}s] keep-{env} rolled out: all Deployments available, Application Synced and Healthy",
                file=out,
                flush=True,
            )
            return statuses
        if elapsed >= timeout:
            pending = "; ".join(str(s) for s in statuses if s.state != READY)
            raise KeepctlError(
                f"timed out after {timeout:.0f}s waiting for keep-{env}: {pending}",
                ExitCode.TIMEOUT,
            )
        sleep(min(interval, max(0.0, timeout - elapsed)))
