"""Unit tests of the check helpers on small fakes: the checks must catch real problems."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from keep.deploycheck import policy
from keep.deploycheck.argo import TemplateError, expand_applicationset
from keep.deploycheck.render import render_overlay
from keep.deploycheck.schemas import validate_object
from keep.deploycheck.settings_ast import SettingsParseError, settings_env_vars


def _write(root: Path, rel: str, text: str) -> None:
    p = root / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text)


def test_settings_fields_follow_keep_base_classes(tmp_path: Path) -> None:
    _write(
        tmp_path,
        "src/python/keep/platform/settings.py",
        (
            "from pydantic_settings import BaseSettings\n"
            "class ServiceSettings(BaseSettings):\n"
            "    log_level: str = 'INFO'\n    metrics_port: int = 9100\n    shutdown_grace_seconds: float = 20\n"
        ),
    )
    _write(
        tmp_path,
        "src/python/keep/fake/settings.py",
        (
            "from typing import ClassVar\n"
            "from keep.platform.settings import ServiceSettings\n"
            "class Settings(ServiceSettings):\n"
            "    grpc_port: int = 50051\n    redis_url: str = 'redis://localhost:6379/0'\n"
            "    VERSION: ClassVar[str] = 'x'\n"
        ),
    )
    assert settings_env_vars(tmp_path, "fake") == {
        "LOG_LEVEL",
        "METRICS_PORT",
        "SHUTDOWN_GRACE_SECONDS",
        "GRPC_PORT",
        "REDIS_URL",
    }


def test_settings_missing_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(SettingsParseError, match="is missing"):
        settings_env_vars(tmp_path, "nothere")


def _deployment(name: str = "datastorage") -> dict:
    dev = render_overlay("dev")
    return copy.deepcopy(
        next(o for o in dev if o["kind"] == "Deployment" and o["metadata"]["name"] == name)
    )


def test_security_check_catches_privileged_container() -> None:
    d = _deployment()
    c = d["spec"]["template"]["spec"]["containers"][0]
    c["securityContext"]["allowPrivilegeEscalation"] = True
    c["securityContext"]["capabilities"] = {"add": ["NET_ADMIN"]}
    problems = policy.check_security([d])
    assert any("allowPrivilegeEscalation" in p for p in problems)
    assert any("adds capabilities" in p for p in problems)


def test_probe_and_port_checks_catch_mismatch() -> None:
    d = _deployment()
    c = d["spec"]["template"]["spec"]["containers"][0]
    c["readinessProbe"]["grpc"]["port"] = 50099
    assert any("readinessProbe" in p for p in policy.check_probes([d]))
    assert any("not a container port" in p for p in policy.check_service_ports([d]))


def test_pdb_hpa_check_catches_missing_objects_and_replicas() -> None:
    d = _deployment()
    d["spec"]["replicas"] = 3
    problems = policy.check_pdb_hpa([d])
    assert any("HorizontalPodAutoscaler" in p for p in problems)
    assert any("spec.replicas" in p for p in problems)


def test_network_check_catches_extra_caller() -> None:
    dev = copy.deepcopy(list(render_overlay("dev")))
    np = next(
        o for o in dev if o["kind"] == "NetworkPolicy" and o["metadata"]["name"] == "datastorage"
    )
    np["spec"]["ingress"][0]["from"].append(
        {"podSelector": {"matchLabels": {"app.kubernetes.io/name": "ratelimit"}}}
    )
    assert any("datastorage: ingress allowed from" in p for p in policy.check_network_policies(dev))


def test_schema_rejects_unknown_crd_field_and_kind() -> None:
    mapping = next(o for o in render_overlay("dev") if o["kind"] == "Mapping")
    bad = copy.deepcopy(mapping)
    bad["spec"]["prefixx"] = "/"
    assert validate_object(bad)
    assert validate_object(
        {"apiVersion": "example.com/v1", "kind": "Thing", "metadata": {"name": "x"}}
    )
    assert validate_object(
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "x"},
            "spec": {"bogus": 1},
        }
    )


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
