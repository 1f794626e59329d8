from __future__ import annotations

import json
from pathlib import Path

import pytest

from keep.release import docker_info

SAMPLE = {
    "version": 1,
    "image_id": "sha256:abc",
    "registries": [
        {
            "alias": "artifact-registry",
            "address": "europe-west1-docker.pkg.dev/keep-artifacts/keep",
            "repository": "gateway",
            "tags": [
                {
                    "template": "{pants.hash}",
                    "tag": "h1",
                    "uses_local_alias": False,
                    "name": "europe-west1-docker.pkg.dev/keep-artifacts/keep/gateway:h1",
                }
            ],
        },
        {
            "alias": "local",
            "address": "127.0.0.1:5000/keep",
            "repository": "gateway",
            "tags": [
                {
                    "template": "{pants.hash}",
                    "tag": "h1",
                    "uses_local_alias": False,
                    "name": "127.0.0.1:5000/keep/gateway:h1",
                },
                {
                    "template": "{pants.hash}",
                    "tag": "h1",
                    "uses_local_alias": True,
                    "name": "local/gateway:h1",
                },
            ],
        },
    ],
}


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("src/python/keep/gateway:image", "src.python.keep.gateway/image.docker-info.json"),
        ("//src/python/keep/gateway:image", "src.python.keep.gateway/image.docker-info.json"),
        ("src/python/keep/gateway", "src.python.keep.gateway/gateway.docker-info.json"),
    ],
)
def test_info_path(address: str, expected: str) -> None:
    assert docker_info.info_path(Path("dist"), address) == Path("dist") / expected


def test_generated_targets_are_rejected() -> None:
    with pytest.raises(docker_info.DockerInfoError):
        docker_info.info_path(Path("dist"), "src/x:y#z")


def test_parse_and_filter_by_registry(tmp_path: Path) -> None:
    path = docker_info.info_path(tmp_path, "src/python/keep/gateway:image")
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(SAMPLE))
    info = docker_info.load(tmp_path, "src/python/keep/gateway:image")
    assert info.image_id == "sha256:abc"
    assert info.repository == "gateway"
    assert [t.name for t in info.for_registry("local")] == ["127.0.0.1:5000/keep/gateway:h1"]
    assert [t.tag for t in info.for_registry("artifact-registry")] == ["h1"]
    assert info.for_registry("nope") == []


def test_missing_file_and_bad_version(tmp_path: Path) -> None:
    with pytest.raises(docker_info.DockerInfoError, match="not found"):
        docker_info.load(tmp_path, "src/x:image")
    with pytest.raises(docker_info.DockerInfoError, match="version"):
        docker_info.parse("t", json.dumps({"version": 2}))
