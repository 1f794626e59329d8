"""Locate the deployment trees and render them with `kubectl kustomize` (no cluster needed)."""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import yaml

KUSTOMIZE_DIR = Path("deploy/kustomize")
ARGOCD_DIR = Path("argocd")

# Extra places to look for kubectl when PATH is minimal (e.g. inside a Pants test sandbox).
_KUBECTL_FALLBACKS = ("/usr/local/bin/kubectl", "/usr/bin/kubectl", "/snap/bin/kubectl")


class DeployCheckError(RuntimeError):
    """A problem with the environment or the trees that makes a check impossible (never a skip)."""


def repo_root() -> Path:
    """The directory holding deploy/kustomize: $KEEP_REPO_ROOT, else cwd or a parent of it (a Pants
    sandbox has the files at their repo-relative paths), else a parent of this file."""
    env = os.environ.get("KEEP_REPO_ROOT")
    candidates = [Path(env)] if env else []
    cwd = Path.cwd().resolve()
    candidates += [cwd, *cwd.parents]
    here = Path(__file__).resolve()
    candidates += list(here.parents)
    for c in candidates:
        if (c / KUSTOMIZE_DIR / "overlays").is_dir():
            return c
    raise DeployCheckError(
        f"cannot find {KUSTOMIZE_DIR}/overlays from {cwd} or {here}; run from the repository root "
        "or set KEEP_REPO_ROOT (under Pants, depend on the deploy/kustomize:manifests files target)"
    )


def kubectl() -> str:
    """Path of a kubectl binary ($KUBECTL, PATH, common locations); a clear error if there is none."""
    explicit = os.environ.get("KUBECTL")
    if explicit:
        if os.access(explicit, os.X_OK):
            return explicit
        raise DeployCheckError(f"KUBECTL={explicit} is not an executable file")
    found = shutil.which("kubectl")
    if found:
        return found
    for candidate in _KUBECTL_FALLBACKS:
        if os.access(candidate, os.X_OK):
            return candidate
    raise DeployCheckError(
        "kubectl not found (looked at $KUBECTL, PATH and "
        + ", ".join(_KUBECTL_FALLBACKS)
        + "). Install kubectl >= 1.27 (it embeds kustomize v5) or set KUBECTL=/path/to/kubectl."
    )


def overlays(root: Path | None = None) -> list[str]:
    root = root or repo_root()
    d = root / KUSTOMIZE_DIR / "overlays"
    return sorted(p.name for p in d.iterdir() if (p / "kustomization.yaml").is_file())


def components(root: Path | None = None) -> list[str]:
    root = root or repo_root()
    d = root / KUSTOMIZE_DIR / "components"
    return sorted(p.name for p in d.iterdir() if (p / "kustomization.yaml").is_file())


def _run_kustomize(directory: Path) -> str:
    cmd = [kubectl(), "kustomize", str(directory)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    if proc.returncode != 0:
        raise DeployCheckError(
            f"`{' '.join(cmd)}` failed (exit {proc.returncode}):\n{proc.stderr.strip()}"
        )
    return proc.stdout


def parse_docs(text: str) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(text) if d]


@functools.cache
def render_dir(directory: str) -> tuple[dict[str, Any], ...]:
    """Render a kustomization directory (relative to the repo root, or absolute)."""
    path = Path(directory)
    if not path.is_absolute():
        path = repo_root() / path
    if not (path / "kustomization.yaml").is_file():
        raise DeployCheckError(f"{path} has no kustomization.yaml")
    return tuple(parse_docs(_run_kustomize(path)))


def render_overlay(env: str) -> tuple[dict[str, Any], ...]:
    return render_dir(str(KUSTOMIZE_DIR / "overlays" / env))


def render_argocd(cluster: str) -> tuple[dict[str, Any], ...]:
    """argocd/<cluster>: the ArgoCD objects applied in that env's own cluster."""
    return render_dir(str(ARGOCD_DIR / cluster))


# Components that patch objects another component creates must be rendered after it.
COMPONENT_PREREQUISITES = {"argocd-webhook": ("gke-ingress",)}


@functools.cache
def render_component(name: str) -> tuple[dict[str, Any], ...]:
    """Render a component on top of the base (components cannot be built on their own)."""
    root = repo_root()
    kdir = root / KUSTOMIZE_DIR
    if not (kdir / "components" / name / "kustomization.yaml").is_file():
        raise DeployCheckError(f"no component {name}")
    with tempfile.TemporaryDirectory(prefix="keep-component-") as tmp:
        rel = os.path.relpath(kdir, tmp)  # kustomize refuses absolute paths
        comps = [*COMPONENT_PREREQUISITES.get(name, ()), name]
        (Path(tmp) / "kustomization.yaml").write_text(
            yaml.safe_dump(
                {
                    "apiVersion": "kustomize.config.k8s.io/v1beta1",
                    "kind": "Kustomization",
                    "namespace": "keep-component-test",
                    "resources": [f"{rel}/base"],
                    "components": [f"{rel}/components/{c}" for c in comps],
                }
            )
        )
        return tuple(parse_docs(_run_kustomize(Path(tmp))))


def object_id(obj: dict[str, Any]) -> str:
    meta = obj.get("metadata", {})
    ns = meta.get("namespace")
    return f"{obj.get('kind')}/{(ns + '/') if ns else ''}{meta.get('name')}"
