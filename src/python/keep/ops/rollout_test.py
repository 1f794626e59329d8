"""keepctl rollout wait against a pytest-httpserver stand-in answering like the Kubernetes API
(apps/v1 DeploymentList, argoproj.io/v1alpha1 Application, metav1 Status errors): no Kubernetes
API server can run on the build machines."""

from __future__ import annotations

import io
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from keep.ops.cli import main
from keep.ops.errors import ExitCode
from keep.ops.rollout import READY, WAITING, application_status, default_context

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


Answer = tuple[int, dict[str, Any]]


def serve(httpserver: HTTPServer, routes: Mapping[str, Any]) -> None:
    """GET path -> answer, or a list answered in order whose last entry repeats (one-shot
    handlers are matched before permanent ones, in the order they were added)."""
    for path, answers in routes.items():
        sequence: list[Answer] = answers if isinstance(answers, list) else [answers]
        *first, last = sequence
        for status, body in first:
            httpserver.expect_oneshot_request(path, method="GET").respond_with_json(
                body, status=status
            )
        httpserver.expect_request(path, method="GET").respond_with_json(last[1], status=last[0])


def kubeconfig_text(servers: dict[str, str], current: str) -> str:
    """A kubeconfig with one context per cluster, named as `gcloud container clusters
    get-credentials` names them."""
    clusters = "".join(
        f"- name: {n}\n  cluster:\n    server: {url}\n" for n, url in servers.items()
    )
    contexts = "".join(f"- name: {n}\n  context: {{cluster: {n}, user: tester}}\n" for n in servers)
    return (
        f"apiVersion: v1\nkind: Config\nclusters:\n{clusters}contexts:\n{contexts}"
        f"current-context: {current}\n"
        "users:\n- name: tester\n  user:\n    token: test-bearer-token\n"
    )


@pytest.fixture
def kubeconfig(tmp_path: Path) -> Any:
    def write(url: str) -> str:
        path = tmp_path / "kubeconfig"
        path.write_text(kubeconfig_text({default_context("dev"): url}, default_context("dev")))
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


def test_waits_through_progress_until_ready(kubeconfig: Any, httpserver: HTTPServer) -> None:
    routes = {
        DEPLOYMENTS: [
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
        APPLICATION: [
            (200, application("OutOfSync", "Progressing", phase="Running")),
            (200, application("Synced", "Progressing")),
            (200, application("Synced", "Healthy")),
        ],
    }
    serve(httpserver, routes)
    code, out, err = run(kubeconfig(httpserver.url_for("/").rstrip("/")), "--timeout", "20")
    assert code == ExitCode.OK, out + err
    assert "deployment/gateway: waiting for the controller to observe generation 4" in out
    assert "deployment/gateway: 1 of 2 replicas updated" in out
    assert "deployment/gateway: 1 of 2 updated replicas available" in out
    assert "application/keep-dev: sync=OutOfSync health=Progressing" in out
    assert "keep-dev rolled out" in out
    request, _ = httpserver.log[0]
    assert request.headers["Authorization"] == "Bearer test-bearer-token"


def test_progress_deadline_exceeded_fails_with_reason(
    kubeconfig: Any, httpserver: HTTPServer
) -> None:
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
        DEPLOYMENTS: (200, deployment_list(stuck)),
        APPLICATION: (200, application("Synced", "Degraded")),
    }
    serve(httpserver, routes)
    code, _, err = run(kubeconfig(httpserver.url_for("/").rstrip("/")), "--timeout", "20")
    assert code == ExitCode.FAILED
    assert (
        "deployment/datastorage: ProgressDeadlineExceeded" in err and "timed out progressing" in err
    )


def test_failed_sync_operation(kubeconfig: Any, httpserver: HTTPServer) -> None:
    routes = {
        DEPLOYMENTS: (200, deployment_list(deployment("gateway"))),
        APPLICATION: (
            200,
            application(
                "OutOfSync",
                "Missing",
                phase="Failed",
                message="one or more objects failed to apply",
            ),
        ),
    }
    serve(httpserver, routes)
    code, _, err = run(kubeconfig(httpserver.url_for("/").rstrip("/")))
    assert code == ExitCode.FAILED
    assert "application/keep-dev: sync operation Failed: one or more objects failed to apply" in err


def test_timeout_names_the_pending_object(kubeconfig: Any, httpserver: HTTPServer) -> None:
    routes = {
        DEPLOYMENTS: (200, deployment_list(deployment("gateway"))),
        APPLICATION: (
            200,
            application(
                "Synced", "Degraded", health_message="Deployment gateway: CrashLoopBackOff"
            ),
        ),
    }
    serve(httpserver, routes)
    code, out, err = run(kubeconfig(httpserver.url_for("/").rstrip("/")), "--timeout", "0.3")
    assert code == ExitCode.TIMEOUT
    assert "timed out after 0s waiting for keep-dev" in err
    assert "health=Degraded (Deployment gateway: CrashLoopBackOff)" in err
    assert "deployment/gateway" not in err  # ready objects are not blamed


def test_no_deployments_yet_then_timeout(kubeconfig: Any, httpserver: HTTPServer) -> None:
    routes = {
        DEPLOYMENTS: (200, deployment_list()),
        APPLICATION: (200, application("Synced", "Healthy")),
    }
    serve(httpserver, routes)
    code, out, err = run(kubeconfig(httpserver.url_for("/").rstrip("/")), "--timeout", "0.2")
    assert code == ExitCode.TIMEOUT
    assert "namespace/keep-dev: no Deployments yet" in err


def test_missing_application(kubeconfig: Any, httpserver: HTTPServer) -> None:
    routes = {
        DEPLOYMENTS: (200, deployment_list(deployment("gateway"))),
        APPLICATION: (
            404,
            k8s_status(404, "NotFound", 'applications.argoproj.io "keep-dev" not found'),
        ),
    }
    serve(httpserver, routes)
    code, _, err = run(kubeconfig(httpserver.url_for("/").rstrip("/")))
    assert code == ExitCode.NOT_FOUND
    assert "Application keep-dev not found in namespace argocd" in err


def test_forbidden(kubeconfig: Any, httpserver: HTTPServer) -> None:
    routes = {
        DEPLOYMENTS: (
            403,
            k8s_status(
                403,
                "Forbidden",
                'deployments.apps is forbidden: User "ci" cannot list resource "deployments"',
            ),
        )
    }
    serve(httpserver, routes)
    code, _, err = run(kubeconfig(httpserver.url_for("/").rstrip("/")))
    assert code == ExitCode.AUTH
    assert "refused to list Deployments in keep-dev (403" in err


def test_transient_server_error_is_retried(kubeconfig: Any, httpserver: HTTPServer) -> None:
    routes = {
        DEPLOYMENTS: [
            (500, k8s_status(500, "InternalError", "etcdserver: request timed out")),
            (200, deployment_list(deployment("gateway"))),
        ],
        APPLICATION: (200, application("Synced", "Healthy")),
    }
    serve(httpserver, routes)
    code, out, err = run(kubeconfig(httpserver.url_for("/").rstrip("/")), "--timeout", "20")
    assert code == ExitCode.OK, out + err
    assert "API error 500, retrying" in out


def test_revision_must_match(kubeconfig: Any, httpserver: HTTPServer) -> None:
    routes = {
        DEPLOYMENTS: (200, deployment_list(deployment("gateway"))),
        APPLICATION: [
            (200, application("Synced", "Healthy", revision="aaaaaaaaaaaa")),
            (200, application("Synced", "Healthy", revision="bbbbbbbbbbbbffff")),
        ],
    }
    serve(httpserver, routes)
    code, out, err = run(
        kubeconfig(httpserver.url_for("/").rstrip("/")),
        "--timeout",
        "20",
        "--revision",
        "bbbbbbbbbbbb",
    )
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


def test_each_env_is_read_through_its_own_cluster(tmp_path: Path, httpserver: HTTPServer) -> None:
    """One ArgoCD per cluster: dev's Deployments and Application live in the dev cluster, so
    `--env dev` must not read whatever context is current (here prod's, which is unreachable)."""
    serve(
        httpserver,
        {
            DEPLOYMENTS: (200, deployment_list(deployment("gateway"))),
            APPLICATION: (200, application("Synced", "Healthy")),
        },
    )
    path = tmp_path / "kubeconfig"
    servers = {
        default_context("dev"): httpserver.url_for("/").rstrip("/"),
        default_context("prod"): "http://127.0.0.1:9",  # discard port: nothing listens
    }
    path.write_text(kubeconfig_text(servers, current=default_context("prod")))
    code, out, err = run(str(path), "--timeout", "20")
    assert code == ExitCode.OK, out + err
    assert default_context("dev") == "gke_keep-dev_europe-west1_keep-dev"


def test_a_missing_env_context_says_how_to_get_it(tmp_path: Path) -> None:
    path = tmp_path / "kubeconfig"
    path.write_text(kubeconfig_text({"other": "http://127.0.0.1:9"}, current="other"))
    code, _, err = run(str(path))
    assert code == ExitCode.AUTH
    assert "get-credentials keep-dev --region europe-west1 --project keep-dev" in err
