"""Offline validation of argocd/<cluster>: schema-valid objects; in each cluster the ApplicationSet
expands to exactly that cluster's Application (one ArgoCD per cluster: destination in-cluster),
pointing at an overlay that renders, allowed by the AppProject."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from keep.deploycheck import contract
from keep.deploycheck.argocd import TemplateError, expand_applicationset
from keep.deploycheck.render import object_id, render_argocd, render_dir, repo_root
from keep.deploycheck.schemas import validate_object

ROOT = repo_root()


CLUSTERS = sorted(contract.ENVIRONMENTS)


def _objs(kind: str, cluster: str) -> list[dict[str, Any]]:
    return [o for o in render_argocd(cluster) if o["kind"] == kind]


def _cluster_apps(cluster: str) -> list[dict[str, Any]]:
    (appset,) = _objs("ApplicationSet", cluster)
    return expand_applicationset(appset)


def _apps() -> list[dict[str, Any]]:
    return [app for cluster in CLUSTERS for app in _cluster_apps(cluster)]


def test_argocd_objects_validate() -> None:
    problems = [
        f"{cluster} {object_id(o)}: {e}"
        for cluster in CLUSTERS
        for o in render_argocd(cluster)
        for e in validate_object(o)
    ]
    problems += [
        f"Application {a['metadata']['name']}: {e}" for a in _apps() for e in validate_object(a)
    ]
    assert not problems, "\n".join(problems)


def test_each_clusters_argocd_deploys_only_its_own_environment() -> None:
    """The clusters' control planes are private: an ArgoCD can only reach its own cluster."""
    for cluster in CLUSTERS:
        apps = _cluster_apps(cluster)
        assert [a["metadata"]["name"] for a in apps] == [f"keep-{cluster}"]
        assert apps[0]["spec"]["destination"] == {
            "name": "in-cluster",
            "namespace": f"keep-{cluster}",
        }
        (project,) = _objs("AppProject", cluster)
        assert {d["name"] for d in project["spec"]["destinations"]} == {"in-cluster"}
        assert {d["namespace"] for d in project["spec"]["destinations"]} == {
            f"keep-{cluster}",
            "emissary",
        }


def test_sync_policies() -> None:
    apps = {a["metadata"]["name"]: a for a in _apps()}
    dev = apps["keep-dev"]["spec"].get("syncPolicy", {})
    assert dev.get("automated") == {"prune": True, "selfHeal": True}
    prod = apps["keep-prod"]["spec"].get("syncPolicy", {})
    assert "automated" not in prod, "prod must sync by hand"


def test_applications_point_at_rendering_overlays() -> None:
    for cluster in CLUSTERS:
        _check_applications(cluster)


def _check_applications(cluster_dir: str) -> None:
    (project,) = _objs("AppProject", cluster_dir)
    pspec = project["spec"]
    allowed_kinds = {(g["group"], g["kind"]) for g in pspec["namespaceResourceWhitelist"]}
    allowed_cluster_kinds = {(g["group"], g["kind"]) for g in pspec["clusterResourceWhitelist"]}
    problems = []
    for app in _cluster_apps(cluster_dir):
        spec = app["spec"]
        name = app["metadata"]["name"]
        if spec["project"] != project["metadata"]["name"]:
            problems.append(f"{name}: project {spec['project']}")
        if (
            spec["source"]["repoURL"] not in pspec["sourceRepos"]
            or spec["source"]["repoURL"] != contract.REPO_URL
        ):
            problems.append(f"{name}: repoURL {spec['source']['repoURL']} not allowed")
        path = Path(spec["source"]["path"])
        if not (ROOT / path / "kustomization.yaml").is_file():
            problems.append(f"{name}: path {path} has no kustomization.yaml")
            continue
        cluster = spec["destination"]["name"]
        dests = {(d.get("name"), d["namespace"]) for d in pspec["destinations"]}
        if (cluster, spec["destination"]["namespace"]) not in dests:
            problems.append(
                f"{name}: destination {cluster}/{spec['destination']['namespace']} not in the project"
            )
        for o in render_dir(str(path)):  # raises with kubectl's message if the path does not render
            group = o["apiVersion"].split("/")[0] if "/" in o["apiVersion"] else ""
            ns = o["metadata"].get("namespace")
            if ns is None:
                if (group, o["kind"]) not in allowed_cluster_kinds:
                    problems.append(
                        f"{name}: cluster-scoped {object_id(o)} not allowed by the project"
                    )
            else:
                if (group, o["kind"]) not in allowed_kinds:
                    problems.append(f"{name}: kind {group}/{o['kind']} not allowed by the project")
                if (cluster, ns) not in dests:
                    problems.append(
                        f"{name}: {object_id(o)} lands in {cluster}/{ns}, not a project destination"
                    )
    assert not problems, "\n".join(problems)


def test_project_never_manages_secrets() -> None:
    for cluster in CLUSTERS:
        (project,) = _objs("AppProject", cluster)
        kinds = {g["kind"] for g in project["spec"]["namespaceResourceWhitelist"]}
        assert "Secret" not in kinds and "*" not in kinds


def test_applicationset_expansion_requires_keys() -> None:
    appset: dict[str, Any] = {
        "metadata": {"name": "x", "namespace": "argocd"},
        "spec": {
            "goTemplate": True,
            "generators": [{"list": {"elements": [{"env": "dev"}]}}],
            "template": {
                "metadata": {"name": "keep-{{.env}}"},
                "spec": {"project": "{{.missing}}"},
            },
        },
    }
    with pytest.raises(TemplateError):
        expand_applicationset(appset)
    appset["spec"]["template"]["spec"]["project"] = "keep"
    appset["spec"]["templatePatch"] = "spec:\n  syncPolicy: {{ toJson .sp }}\n"
    appset["spec"]["generators"][0]["list"]["elements"][0]["sp"] = {"automated": {"prune": True}}
    (app,) = expand_applicationset(appset)
    assert app["metadata"]["name"] == "keep-dev"
    assert app["spec"] == {"project": "keep", "syncPolicy": {"automated": {"prune": True}}}
