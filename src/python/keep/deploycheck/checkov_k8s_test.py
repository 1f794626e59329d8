"""checkov's kubernetes framework over each rendered overlay: no unexplained finding (today dev
had 11 and prod 8, none explained). Every skip carries its reason in the manifest. Image digests
(CKV_K8S_43) are written by the release job (newTag + digest): the only image tolerated without
one is the committed placeholder `unreleased` (a tag that never exists, so nothing runs it)."""

from __future__ import annotations

import copy
import functools

import pytest

from keep.deploycheck import checkov_k8s
from keep.deploycheck.images import split_pin
from keep.deploycheck.objects import containers, workloads
from keep.deploycheck.render import object_id, overlays, render_overlay
from keep.release.kustomize import UNRELEASED

DIGEST_CHECK = "CKV_K8S_43"


def _resource(obj: dict) -> str:  # type: ignore[type-arg]
    return f"{obj['kind']}.{obj['metadata'].get('namespace', 'default')}.{obj['metadata']['name']}"


def awaiting_release(objs: list[dict]) -> set[str]:  # type: ignore[type-arg]
    """Workloads whose only unpinned images are the `unreleased` placeholder: CKV_K8S_43 on them
    is expected until the release job writes the digest. A released tag without a digest is not
    among them, so checkov's finding on it fails the test."""
    awaiting = set()
    for w in workloads(objs):
        unpinned = [split_pin(c["image"]) for c in containers(w) if "@" not in c["image"]]
        if unpinned and all(tag == UNRELEASED for _, tag, _ in unpinned):
            awaiting.add(_resource(w))
    return awaiting


@functools.cache
def _overlays_scan() -> checkov_k8s.Scan:
    return checkov_k8s.scan({env: render_overlay(env) for env in overlays()})


def test_checkov_scans_every_overlay() -> None:
    result = _overlays_scan()
    assert result.parsing_errors == 0
    assert result.passed > 100 * len(overlays()), "checkov scanned suspiciously little"


@pytest.mark.parametrize("env", overlays())
def test_checkov_kubernetes_findings_are_fixed_or_explained(env: str) -> None:
    objs = render_overlay(env)
    result = _overlays_scan()
    placeholders = awaiting_release(list(objs))
    unexplained = [
        f"{f.check_id} {f.resource}"
        for f in result.failed
        if f.source == env and not (f.check_id == DIGEST_CHECK and f.resource in placeholders)
    ]
    assert not unexplained, "fix these or explain them with a checkov.io/skip annotation:\n" + (
        "\n".join(unexplained)
    )
    for f in (f for f in result.skipped if f.source == env):
        reason = f.reason.strip()
        assert len(reason) >= 40, f"{f.check_id} on {f.resource} skipped without a real reason"
    awaiting = sorted(
        f.resource for f in result.failed if f.check_id == DIGEST_CHECK and f.source == env
    )
    print(f"{env}: not yet pinned by the release job: {awaiting}")


def test_checkov_digest_finding_is_tolerated_only_for_the_placeholder() -> None:
    """A.13: as the release job writes them (tag + digest), checkov passes CKV_K8S_43; a released
    tag without a digest is an unexplained finding, not "awaiting release"."""
    objs = copy.deepcopy(list(render_overlay("dev")))
    deployments = [o for o in objs if o["kind"] == "Deployment"]
    pinned, released = deployments[0], deployments[1]
    for container in containers(pinned):
        repo = split_pin(container["image"])[0]
        container["image"] = f"{repo}:{'ab' * 32}@sha256:{'cd' * 32}"
    for container in containers(released):
        container["image"] = f"{split_pin(container['image'])[0]}:{'ef' * 32}"
    scan = checkov_k8s.scan({"released": [pinned, released]})
    digest_failures = {f.resource for f in scan.failed if f.check_id == DIGEST_CHECK}
    assert _resource(pinned) not in digest_failures
    assert _resource(released) in digest_failures
    assert _resource(released) not in awaiting_release([pinned, released])


def test_checkov_catches_what_the_hand_written_security_check_did() -> None:
    """The generic checks removed from deploycheck are caught by checkov instead."""
    objs = copy.deepcopy(list(render_overlay("dev")))
    d = next(o for o in objs if o["kind"] == "Deployment" and o["metadata"]["name"] == "gateway")
    spec = d["spec"]["template"]["spec"]
    spec["hostNetwork"] = True
    spec["automountServiceAccountToken"] = True
    c = spec["containers"][0]
    c["securityContext"].update(
        allowPrivilegeEscalation=True, privileged=True, readOnlyRootFilesystem=False
    )
    c["securityContext"]["capabilities"] = {"add": ["SYS_ADMIN"]}
    del c["livenessProbe"]
    del c["resources"]["limits"]["memory"]
    failed = {f.check_id for f in checkov_k8s.scan({"modified": [d]}).failed}
    expected = {
        "CKV_K8S_19": "hostNetwork",
        "CKV_K8S_38": "service account token mounted",
        "CKV_K8S_20": "allowPrivilegeEscalation",
        "CKV_K8S_16": "privileged",
        "CKV_K8S_22": "readOnlyRootFilesystem",
        "CKV_K8S_39": "CAP_SYS_ADMIN",
        "CKV_K8S_8": "no livenessProbe",
        "CKV_K8S_13": "no memory limit",
    }
    missing = {k: v for k, v in expected.items() if k not in failed}
    assert (
        not missing
    ), f"checkov did not flag {missing} on {object_id(d)}; flagged {sorted(failed)}"
