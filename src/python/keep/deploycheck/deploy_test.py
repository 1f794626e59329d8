"""Offline validation of deploy/kustomize: every overlay and component renders, every object is
schema-valid, and the rendered output obeys Keep's deployment policies. Nothing is ever skipped."""

from __future__ import annotations

import copy

import pytest

from keep.deploycheck import contract, edge, images, network, scaling, workloads
from keep.deploycheck.objects import of_kind
from keep.deploycheck.payload import check_payload_caps
from keep.deploycheck.render import (
    KUSTOMIZE_DIR,
    components,
    object_id,
    overlays,
    render_component,
    render_overlay,
    repo_root,
)
from keep.deploycheck.schemas import validate_object

ROOT = repo_root()
OVERLAYS = overlays(ROOT)
COMPONENTS = components(ROOT)


def _assert_none(problems: list[str]) -> None:
    assert not problems, "\n".join(problems)


def test_expected_overlays_exist() -> None:
    assert sorted(contract.ENVIRONMENTS) == OVERLAYS


@pytest.mark.parametrize("env", OVERLAYS)
def test_overlay_renders(env: str) -> None:
    objs = render_overlay(env)
    assert objs, f"overlay {env} renders nothing"
    ids = [object_id(o) for o in objs]
    assert len(ids) == len(set(ids)), "duplicate objects"


@pytest.mark.parametrize("name", COMPONENTS)
def test_component_renders_and_validates(name: str) -> None:
    objs = render_component(name)
    _assert_none([f"{object_id(o)}: {e}" for o in objs for e in validate_object(o)])


@pytest.mark.parametrize("name", COMPONENTS)
def test_component_is_used_and_documented(name: str) -> None:
    used = [
        env
        for env in OVERLAYS
        for k in (ROOT / KUSTOMIZE_DIR / "overlays" / env).rglob("kustomization.yaml")
        if f"components/{name}" in k.read_text()
    ]
    assert (
        used or name in contract.ALTERNATIVE_COMPONENTS
    ), f"component {name} is not used by any overlay"
    assert (
        ROOT / KUSTOMIZE_DIR / "components" / name / "README.md"
    ).is_file(), f"component {name} has no README.md"


@pytest.mark.parametrize("env", OVERLAYS)
def test_overlay_objects_validate(env: str) -> None:
    _assert_none([f"{object_id(o)}: {e}" for o in render_overlay(env) for e in validate_object(o)])


@pytest.mark.parametrize("env", OVERLAYS)
@pytest.mark.parametrize(
    "check",
    (*workloads.CHECKS, network.check_network_policies, edge.check_placeholders),
    ids=lambda c: c.__name__,
)
def test_overlay_policy(env: str, check) -> None:  # type: ignore[no-untyped-def]
    _assert_none(check(render_overlay(env)))


@pytest.mark.parametrize("env", OVERLAYS)
def test_labels(env: str) -> None:
    _assert_none(workloads.check_labels(render_overlay(env), env))


@pytest.mark.parametrize("env", OVERLAYS)
def test_namespaces(env: str) -> None:
    want = contract.ENVIRONMENTS[env]["namespace"]
    for o in render_overlay(env):
        ns = o["metadata"].get("namespace")
        if o["kind"] == "Namespace":
            assert o["metadata"]["name"] == want
        else:
            assert ns in (want, "emissary"), f"{object_id(o)} in namespace {ns}"
        if ns == "emissary":
            assert o["apiVersion"].split("/")[0] in (
                "getambassador.io",
                "networking.gke.io",
                "cloud.google.com",
                "networking.k8s.io",
                "v1",
            ), f"{object_id(o)} does not belong in emissary's namespace"


@pytest.mark.parametrize("env", OVERLAYS)
def test_edge(env: str) -> None:
    _assert_none(edge.check_edge(render_overlay(env), env))


@pytest.mark.parametrize("env", OVERLAYS)
def test_images_map_to_build_targets(env: str) -> None:
    _assert_none(images.check_images(render_overlay(env), ROOT))


def test_released_images_must_be_pinned_by_digest() -> None:
    """A.13: what the release job writes (tag + digest) passes; a released tag without a digest,
    or a malformed digest, is a problem; only the `unreleased` placeholder may stay unpinned."""
    objs = copy.deepcopy(list(render_overlay("dev")))
    gateway = next(
        o for o in objs if o["kind"] == "Deployment" and o["metadata"]["name"] == "gateway"
    )
    container = gateway["spec"]["template"]["spec"]["containers"][0]
    repo = f"{contract.REGISTRY}/gateway"
    cases = {
        f"{repo}:{'ab' * 32}@sha256:{'cd' * 32}": [],
        f"{repo}:unreleased": [],
        f"{repo}:{'ab' * 32}": ["released tag without a digest"],
        f"{repo}:7.0-bookworm-r1": ["released tag without a digest"],
        f"{repo}:{'ab' * 32}@sha256:short": ["is not a sha256 digest"],
    }
    for image, expected in cases.items():
        container["image"] = image
        problems = [p for p in images.check_images(objs, ROOT) if p.startswith(image + ":")]
        assert len(problems) == len(expected), (image, problems)
        assert all(e in p for e, p in zip(expected, problems, strict=True)), (image, problems)


@pytest.mark.parametrize("env", OVERLAYS)
def test_env_vars_are_settings_fields(env: str) -> None:
    _assert_none(workloads.check_settings_env(render_overlay(env)))


def test_prod_is_stricter_than_dev() -> None:
    _assert_none(scaling.check_stricter(render_overlay("dev"), render_overlay("prod")))


def test_redis_only_in_dev() -> None:
    dev = {object_id(o) for o in render_overlay("dev")}
    prod = render_overlay("prod")
    assert "StatefulSet/keep-dev/redis" in dev
    assert not [
        o
        for o in prod
        if o["metadata"]["name"] == "redis" or o["metadata"]["name"].startswith("redis-config")
    ]
    assert workloads.secret_refs(prod) == {"keep-prod/redis-url#url", "keep-prod/redis-ca#*"}
    assert workloads.secret_refs(render_overlay("dev")) == {"keep-dev/redis-auth#password"}


def test_dev_redis_is_durable_and_never_evicts() -> None:
    objs = render_overlay("dev")
    sts = next(o for o in objs if o["kind"] == "StatefulSet" and o["metadata"]["name"] == "redis")
    assert [t["metadata"]["name"] for t in sts["spec"]["volumeClaimTemplates"]] == ["data"]
    conf = next(
        o
        for o in objs
        if o["kind"] == "ConfigMap" and o["metadata"]["name"].startswith("redis-config")
    )
    lines = {
        line.split()[0]: line.split(None, 1)[1]
        for line in conf["data"]["redis.conf"].splitlines()
        if line and not line.startswith("#")
    }
    assert lines["appendonly"] == "yes"
    assert lines["maxmemory-policy"] == "noeviction"
    assert lines["dir"] == "/data"
    container = sts["spec"]["template"]["spec"]["containers"][0]
    assert (
        "$(REDIS_PASSWORD)" in container["args"]
    ), "redis must require the password from Secret redis-auth"
    assert {"name": "data", "mountPath": "/data"} in container["volumeMounts"]


def test_argocd_webhook_exposed_once() -> None:
    _assert_none(edge.check_argocd_webhook({env: render_overlay(env) for env in OVERLAYS}))


@pytest.mark.parametrize("env", OVERLAYS)
def test_payload_caps_agree_and_the_byte_budget_admits_one_secret(env: str) -> None:
    _assert_none(check_payload_caps(render_overlay(env)))


def test_payload_cap_check_catches_a_mismatch() -> None:
    objs = copy.deepcopy(render_overlay("dev"))
    for cm in of_kind(objs, "ConfigMap"):
        if "MAX_PAYLOAD_BYTES" in cm.get("data", {}) and cm["metadata"]["name"].startswith(
            "gateway"
        ):
            cm["data"]["MAX_PAYLOAD_BYTES"] = "1048576"
    problems = check_payload_caps(objs)
    assert problems and "differs between services" in problems[0], problems
