"""Marking promoted images against the real local registry (distribution 2.8 on 127.0.0.1:5000,
build-support/registry/ensure-registry.sh). Fails (never skips) without Docker or the registry;
the target is tagged `docker`."""

from __future__ import annotations

import base64
import json
import subprocess
import uuid
from pathlib import Path

import pytest

from keep.release import cli, kustomize, promotion
from keep.release.kustomize import Pin
from keep.release.registry import REGISTRIES, Docker, RegistryError
from keep.release.registry_api import Registry, docker_credentials, split_image
from keep.testing.token_registry import token_registry

LOCAL = REGISTRIES["local"]


@pytest.fixture(scope="module")
def pushed(test_image: str) -> tuple[str, str]:
    """(image without tag, registry digest) of the test image pushed to the local registry."""
    docker = Docker()
    docker.push(test_image)
    digest = docker.remote_digest(test_image)
    assert digest is not None
    return test_image.rsplit(":", 1)[0], digest


def test_add_tag_names_exactly_the_digest_and_is_idempotent(pushed: tuple[str, str]) -> None:
    image, digest = pushed
    host, repository = split_image(image)
    marker = f"prod-{uuid.uuid4().hex}"
    registry = Registry(host)
    assert registry.add_tag(repository, digest, marker) is True
    # docker sees the new tag on the same digest (not a re-serialised copy).
    assert Docker().remote_digest(f"{image}:{marker}") == digest
    assert registry.add_tag(repository, digest, marker) is False


def test_a_tag_on_another_digest_is_never_moved(pushed: tuple[str, str], tmp_path: Path) -> None:
    image, digest = pushed
    host, repository = split_image(image)
    other = f"{image}:other-{uuid.uuid4().hex[:8]}"
    (tmp_path / "Dockerfile").write_text(f"FROM {image}@{digest}\nLABEL other={uuid.uuid4().hex}\n")
    subprocess.run(
        ["docker", "build", "-q", "-t", other, str(tmp_path)], check=True, capture_output=True
    )
    Docker().push(other)
    other_tag = other.rsplit(":", 1)[1]
    with pytest.raises(RegistryError, match="refusing to move it"):
        Registry(host).add_tag(repository, digest, other_tag)
    assert Docker().remote_digest(other) != digest
    subprocess.run(["docker", "image", "rm", other], capture_output=True, check=False)


def test_unknown_digest_and_unreachable_registry_are_errors(pushed: tuple[str, str]) -> None:
    image, _ = pushed
    host, repository = split_image(image)
    with pytest.raises(RegistryError, match="is not in the registry"):
        Registry(host).add_tag(repository, "sha256:" + "0" * 64, f"prod-{uuid.uuid4().hex}")
    with pytest.raises(RegistryError, match="cannot reach"):
        Registry("127.0.0.1:1").add_tag("keep/x", "sha256:" + "0" * 64, "prod-x")


def test_promote_cli_pins_prod_and_marks_the_image(pushed: tuple[str, str], tmp_path: Path) -> None:
    """`keep-release promote` end to end: dev pinned from the registry, prod gets the same pin, and
    the registry holds prod-<tag> on that digest (the tag the KEEP cleanup policy matches)."""
    image, digest = pushed
    name = image.rsplit("/", 1)[1]
    tag = f"t{uuid.uuid4().hex}"
    deploy = tmp_path / "deploy" / "kustomize"
    for env in ("dev", "prod"):
        path = kustomize.overlay_path(deploy, env)
        path.parent.mkdir(parents=True)
        path.write_text(
            f"images:\n  - name: {name}\n    newName: {image}\n    newTag: unreleased\n"
        )
    kustomize.set_images(kustomize.overlay_path(deploy, "dev"), {name: Pin(tag, digest)})
    argv = ["--buildroot", str(tmp_path), "promote", "--from", "dev", "--to", "prod"]
    assert cli.main(argv) == 0
    assert kustomize.read_images(kustomize.overlay_path(deploy, "prod"))[name] == Pin(tag, digest)
    assert Docker().remote_digest(f"{image}:{promotion.marker_tag('prod', tag)}") == digest
    assert cli.main(argv) == 0  # again: marker already there, nothing to change


def test_bearer_token_flow_with_docker_login(
    test_image: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Artifact Registry's way in: 401 with a Bearer challenge, a token from the realm for the
    credentials `docker login` (or gcloud's credential helper) left, the request again with it.
    Here a real distribution 2.8 registry with token auth; only the token issuer is test code."""
    (tmp_path / "registry").mkdir()
    config = tmp_path / "docker-config"
    config.mkdir()
    monkeypatch.setenv("DOCKER_CONFIG", str(config))
    with token_registry(tmp_path / "registry") as reg:
        subprocess.run(
            ["docker", "login", reg.address, "-u", reg.username, "--password-stdin"],
            input=reg.password,
            text=True,
            capture_output=True,
            check=True,
        )
        ref = f"{reg.address}/keep/marked:{uuid.uuid4().hex[:12]}"
        subprocess.run(["docker", "tag", test_image, ref], check=True, capture_output=True)
        try:
            Docker().push(ref)
            digest = Docker().remote_digest(ref)
            assert digest is not None
            with pytest.raises(RegistryError, match="token request refused"):
                Registry(reg.address, credentials=lambda host: None).add_tag(
                    "keep/marked", digest, "prod-anonymous"
                )
            assert Registry(reg.address).add_tag("keep/marked", digest, "prod-x") is True
            assert Docker().remote_digest(f"{reg.address}/keep/marked:prod-x") == digest
            scopes = [q.get("scope") for q in reg.token_requests]
            assert "repository:keep/marked:pull,push" in scopes
        finally:
            subprocess.run(["docker", "image", "rm", ref], capture_output=True, check=False)


def test_docker_credentials_from_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same lookup order as the docker CLI: credHelpers for the host, then auths."""
    helper = tmp_path / "docker-credential-keeptest"
    helper.write_text(
        "#!/bin/sh\nread host\n"
        'if [ "$host" = "helped.example" ]; then '
        'echo \'{"Username":"oauth2accesstoken","Secret":"tok"}\'; '
        "else echo 'credentials not found in native keychain'; exit 1; fi\n"
    )
    helper.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}:/usr/bin:/bin")
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path))
    (tmp_path / "config.json").write_text(
        json.dumps(
            {
                "credHelpers": {"helped.example": "keeptest", "other.example": "keeptest"},
                "auths": {"login.example": {"auth": base64.b64encode(b"me:pw").decode()}},
            }
        )
    )
    assert docker_credentials("helped.example") == ("oauth2accesstoken", "tok")
    assert docker_credentials("other.example") is None
    assert docker_credentials("login.example") == ("me", "pw")
    assert docker_credentials(LOCAL.split("/")[0]) is None
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "none"))
    assert docker_credentials("login.example") is None
