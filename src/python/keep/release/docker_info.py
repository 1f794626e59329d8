"""The `<target>.docker-info.json` files `pants package` writes for docker_image targets.

Format (Pants 2.17, DockerInfoV1):
  {"version": 1, "image_id": "sha256:...",
   "registries": [{"alias": "local", "address": "127.0.0.1:5000/keep", "repository": "gateway",
                   "tags": [{"template": "{pants.hash}", "tag": "3f0c...", "uses_local_alias": false,
                             "name": "127.0.0.1:5000/keep/gateway:3f0c..."}]}]}
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path


class DockerInfoError(RuntimeError):
    pass


@dataclass(frozen=True)
class ImageTag:
    registry_alias: str | None
    registry_address: str | None
    repository: str
    tag: str
    name: str  # full reference, e.g. 127.0.0.1:5000/keep/gateway:3f0c...


@dataclass(frozen=True)
class DockerInfo:
    target: str
    image_id: str
    tags: tuple[ImageTag, ...]

    def for_registry(self, alias: str) -> list[ImageTag]:
        return [t for t in self.tags if t.registry_alias == alias]

    @property
    def repository(self) -> str:
        return self.tags[0].repository if self.tags else self.target


def info_path(dist_dir: Path, address: str) -> Path:
    """Where Pants writes the docker-info file of a docker_image (default `output_path`)."""
    if "#" in address or "@" in address:
        raise DockerInfoError(f"unsupported address (generated/parametrized target): {address}")
    spec_path, _, name = address.partition(":")
    spec_path = spec_path.lstrip("/")
    name = name or os.path.basename(spec_path)
    return dist_dir / spec_path.replace("/", ".") / f"{name}.docker-info.json"


def parse(target: str, data: str) -> DockerInfo:
    try:
        raw = json.loads(data)
    except json.JSONDecodeError as e:
        raise DockerInfoError(f"{target}: invalid docker-info JSON: {e}") from e
    if raw.get("version") != 1:
        raise DockerInfoError(f"{target}: unsupported docker-info version {raw.get('version')!r}")
    tags: list[ImageTag] = []
    for reg in raw.get("registries", []):
        for t in reg.get("tags", []):
            if t.get("uses_local_alias"):
                continue  # `alias/repo:tag` names are local conveniences, never pushed
            tags.append(
                ImageTag(
                    registry_alias=reg.get("alias"),
                    registry_address=reg.get("address"),
                    repository=reg["repository"],
                    tag=t["tag"],
                    name=t["name"],
                )
            )
    return DockerInfo(target=target, image_id=raw.get("image_id", ""), tags=tuple(tags))


def load(dist_dir: Path, address: str) -> DockerInfo:
    path = info_path(dist_dir, address)
    if not path.is_file():
        raise DockerInfoError(
            f"{address}: {path} not found after `pants package` (custom output_path?)"
        )
    return parse(address, path.read_text())
