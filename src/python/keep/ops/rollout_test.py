"""keepctl rollout wait against a local HTTP server answering like the Kubernetes API
(apps/v1 DeploymentList, argoproj.io/v1alpha1 Application, metav1 Status errors)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

from keep.ops.cli import main
from keep.ops.errors import ExitCode
from keep.ops.fake_http import FakeServer
from keep.ops.rollout import READY, WAITING, application_status

DEPLOYMENTS = "/apis/apps/v1/namespaces/keep-dev/deployments"
APPLICATION = "/apis/argoproj.io/v1alpha1/namespaces/argocd/applications/keep-dev"


def deployment(
    name: str,
    *,
    replicas: int = 2,
    generation: int = 3,
    observed: int = 3,
    updated: int = 2,
    total: int | None = None,
    available: int = 2,
    conditions: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    return {
        "metadata": {
            "name": name,
            "namespace": "keep-dev",
            "generation": generation,
            "uid": f"uid-{name}",
            "creationTimestamp": "2025-01-01T00:00:00Z",
        },
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {
                    "containers": [
                        {
                            "name": name,
                            "image": f"europe-west1-docker.pkg.dev/keep-artifacts/keep/{name}:abc",
                        }
                    ]
                },
            },
        },
        "status": {
            "observedGeneration": observed,
            "replicas": total if total is not None else updated,
            "updatedReplicas": updated,
            "readyReplicas": available,
            "availableReplicas": available,
            "conditions": conditions
            or [
                {
                    "type": "Available",
                    "status": "True",
                    "reason": "MinimumReplicasAvailable",
                    "message": "Deployment has minimum availability.",
                },
                {
                    "type": "Progressing",
                    "status": "True",
                    "reason": "NewReplicaSetAvailable",
                    "message": f'ReplicaSet "{name}-5d4f" has successfully progressed.',
                },
            ],
        },
    }


def deployment_list(*items: dict[str, Any]) -> dict[str, Any]:
    return {
        "kind": "DeploymentList",
        "apiVersion": "apps/v1",
        "metadata": {"resourceVersion": "1234"},
        "items": list(items),
    }


def application(
    sync: str,
    health: str,
    *,
    revision: str = "0123456789abcdef",
    phase: str | None = "Succeeded",
    message: str = "",
    health_message: str | None = None,
) -> dict[str, Any]:
    status: dict[str, Any] = {
        "sync": {
            "status": sync,
            "revision": revision,
            "comparedTo": {
                "source": {
                    "repoURL": "https://github.com/keep-dev/keep",
                    "path": "deploy/kustomize/overlays/dev",
                }
            },
        },
        "health": {"status": health, **({"message": health_message} if health_message else {})},
    }
    if phase:
        status["operationState"] = {
            "phase": phase,
            "message": message,
            "startedAt": "2025-01-01T00:00:00Z",
        }
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {"name": "keep-dev", "namespace": "argocd"},
        "spec": {"project": "default"},
        "status": status,
    }


def k8s_status(code: int, reason: str, message: str) -> dict[str, Any]:
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    }


@pytest.fixture
def kubeconfig(tmp_path: Path) -> Any:
    def write(url: str) -> str:
        path = tmp_path / "kubeconfig"
        path.write_text(
            f"""apiVersion: v1
kind: Config
clusters:
- name: fake
  cluster:
    server: {url}
contexts:
- name: fake
  context: {{cluster: fake, user: tester}}
current-context: fake
users:
- name: tester
  user:
    token: test-bearer-token
"""
        )
        return str(path)

    return write


def run(kubeconfig_path: str, *extra: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    argv = [
        "rollout",
        "wait",
        "--env",
        "dev",
        "--kubeconfig",
        kubeconfig_path,
        "--interval",
        "0.05",
        *extra,
    ]
    code = main(argv, out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_waits_through_progress_until_ready(kubeconfig: Any) -> None:
    routes = {
        ("GET", DEPLOYMENTS): [
            (
                200,
                deployment_list(
                    deployment("gateway", generation=4, observed=3), deployment("ratelimit")
                ),
            ),
            (
                200,
                deployment_list(
                    deployment(
                        "gateway", generation=4, observed=4, updated=1, total=3, available=1
                    ),
                    deployment("ratelimit"),
                ),
            ),
            (
                200,
                deployment_list(
                    deployment(
                        "gateway", generation=4, observed=4, updated=2, total=2, available=1
                    ),
                    deployment("ratelimit"),
                ),
            ),
            (
                200,
                deployment_list(
                    deployment("gateway", generation=4, observed=4), deployment("ratelimit")
                ),
            ),
        ],
        ("GET", APPLICATION): [
            (200, application("OutOfSync", "Progressing", phase="Running")),
            (200, application("Synced", "Progressing")),
            (200, application("Synced", "Healthy")),
        ],
    }
    with FakeServer(routes) as api:
        code, out, err = run(kubeconfig(api.url), "--timeout", "20")
    assert code == ExitCode.OK, out + err
    assert "deployment/gateway: waiting for the controller to observe generation 4" in out
    assert "deployment/gateway: 1 of 2 replicas updated" in out
    assert "deployment/gateway: 1 of 2 updated replicas available" in out
    assert "application/keep-dev: sync=OutOfSync health=Progressing" in out
    assert "keep-dev rolled out" in out
    assert api.requests[0].headers["authorization"] == "Bearer test-bearer-token"


def test_progress_deadline_exceeded_fails_with_reason(kubeconfig: Any) -> None:
    stuck = deployment(
        "datastorage",
        updated=1,
        total=3,
        available=2,
        conditions=[
            {
                "type": "Progressing",
                "status": "False",
                "reason": "ProgressDeadlineExceeded",
                "message": 'ReplicaSet "datastorage-7c9" has timed out progressing.',
            }
        ],
    )
    routes = {
        ("GET", DEPLOYMENTS): (200, deployment_list(stuck)),
        ("GET", APPLICATION): (200, application("Synced", "Degraded")),
    }
    with FakeServer(routes) as api:
        code, _, err = run(kubeconfig(api.url), "--timeout", "20")
    assert code == ExitCode.FAILED
    assert (
        "deployment/datastorage: ProgressDeadlineExceeded" in err and "timed out progressing" in err
    )


def test_failed_sync_operation(kubeconfig: Any) -> None:
    routes = {
        ("GET", DEPLOYMENTS): (200, deployment_list(deployment("gateway"))),
        ("GET", APPLICATION): (
            200,
            application(
                "OutOfSync",
                "Missing",
                phase="Failed",
                message="one or more objects failed to apply",
            ),
        ),
    }
    with FakeServer(routes) as api:
        code, _, err = run(kubeconfig(api.url))
    assert code == ExitCode.FAILED
    assert "application/keep-dev: sync operation Failed: one or more objects failed to apply" in err


def test_timeout_names_the_pending_object(kubeconfig: Any) -> None:
    routes = {
        ("GET", DEPLOYMENTS): (200, deployment_list(deployment("gateway"))),
        ("GET", APPLICATION): (
            200,
            application(
                "Synced", "Degraded", health_message="Deployment gateway: CrashLoopBackOff"
            ),
        ),
    }
    with FakeServer(routes) as api:
        code, out, err = run(kubeconfig(api.url), "--timeout", "0.3")
    assert code == ExitCode.TIMEOUT
    assert "timed out after 0s waiting for keep-dev" in err
    assert "health=Degraded (Deployment gateway: CrashLoopBackOff)" in err
    assert "deployment/gateway" not in err  # ready objects are not blamed


def test_no_deployments_yet_then_timeout(kubeconfig: Any) -> None:
    routes = {
        ("GET", DEPLOYMENTS): (200, deployment_list()),
        ("GET", APPLICATION): (200, application("Synced", "Healthy")),
    }
    with FakeServer(routes) as api:
        code, out, err = run(kubeconfig(api.url), "--timeout", "0.2")
    assert code == ExitCode.TIMEOUT
    assert "namespace/keep-dev: no Deployments yet" in err


def test_missing_application(kubeconfig: Any) -> None:
    routes = {
        ("GET", DEPLOYMENTS): (200, deployment_list(deployment("gateway"))),
        ("GET", APPLICATION): (
            404,
            k8s_status(404, "NotFound", 'applications.argoproj.io "keep-dev" not found'),
        ),
    }
    with FakeServer(routes) as api:
        code, _, err = run(kubeconfig(api.url))
    assert code == ExitCode.NOT_FOUND
    assert "Application keep-dev not found in namespace argocd" in err


def test_forbidden(kubeconfig: Any) -> None:
    routes = {
        ("GET", DEPLOYMENTS): (
            403,
            k8s_status(
                403,
                "Forbidden",
                'deployments.apps is forbidden: User "ci" cannot list resource "deployments"',
            ),
        )
    }
    with FakeServer(routes) as api:
        code, _, err = run(kubeconfig(api.url))
    assert code == ExitCode.AUTH
    assert "refused to list Deployments in keep-dev (403" in err


def test_transient_server_error_is_retried(kubeconfig: Any) -> None:
    routes = {
        ("GET", DEPLOYMENTS): [
            (500, k8s_status(500, "InternalError", "etcdserver: request timed out")),
            (200, deployment_list(deployment("gateway"))),
        ],
        ("GET", APPLICATION): (200, application("Synced", "Healthy")),
    }
    with FakeServer(routes) as api:
        code, out, err = run(kubeconfig(api.url), "--timeout", "20")
    assert code == ExitCode.OK, out + err
    assert "API error 500, retrying" in out


def test_revision_must_match(kubeconfig: Any) -> None:
    routes = {
        ("GET", DEPLOYMENTS): (200, deployment_list(deployment("gateway"))),
        ("GET", APPLICATION): [
            (200, application("Synced", "Healthy", revision="aaaaaaaaaaaa")),
            (200, application("Synced", "Healthy", revision="bbbbbbbbbbbbffff")),
        ],
    }
    with FakeServer(routes) as api:
        code, out, err = run(kubeconfig(api.url), "--timeout", "20", "--revision", "bbbbbbbbbbbb")
    assert code == ExitCode.OK, out + err
    assert "synced revision aaaaaaaaaaaa, waiting for bbbbbbbbbbbb" in out


def test_application_status_unit() -> None:
    assert application_status(application("Synced", "Healthy")).state == READY
    assert application_status(application("Synced", "Suspended")).state == WAITING
    assert application_status({"metadata": {"name": "x"}}).message == "sync=Unknown health=Unknown"


def test_bad_kubeconfig(tmp_path: Path) -> None:
    code, _, err = run(str(tmp_path / "missing"))
    assert code == ExitCode.AUTH
    assert "get-credentials" in err
