"""Registry queries and pushes through the docker CLI (so credential helpers apply)."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass

Runner = Callable[[Sequence[str]], "subprocess.CompletedProcess[str]"]

# Registry addresses of the Pants aliases (contract: pants.toml [docker.registries.*]).
REGISTRIES: dict[str, str] = {
    "local": "127.0.0.1:5000/keep",
    "artifact-registry": "europe-west1-docker.pkg.dev/keep-artifacts/keep",
}

# What `docker manifest inspect` prints when the tag (or repository) does not exist:
# distribution 2.8: "no such manifest: ..."; Artifact Registry / others: "manifest unknown",
# "not found", "NAME_UNKNOWN".
_MISSING_MARKERS = ("no such manifest", "manifest unknown", "not found", "name_unknown")


def capture(argv: Sequence[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(argv), capture_output=True, text=True, check=False)


class RegistryError(RuntimeError):
    pass


@dataclass
class Docker:
    runner: Runner = capture
    docker: str = "docker"

    def tag_exists(self, ref: str) -> bool:
        """True if `ref` (registry/repo:tag) is in its registry, False if not, else raise.

        An unreachable registry or an auth failure is an error, never "missing": we must not
        conclude anything (and pushing would fail anyway).
        """
        return self.remote_digest(ref) is not None

    def remote_digest(self, ref: str) -> str | None:
        """The digest of the manifest `ref` names in its registry (what a pull by digest gets and
        what the overlays pin), None if the tag is not there; other failures raise."""
        proc = self.runner([self.docker, "manifest", "inspect", "--verbose", "--insecure", ref])
        if proc.returncode == 0:
            try:
                descriptor = json.loads(proc.stdout)["Descriptor"]
                return str(descriptor["digest"])
            except (ValueError, KeyError, TypeError) as e:
                # A list means a multi-platform index; Keep builds one platform per tag.
                raise RegistryError(
                    f"{ref}: no single manifest digest in {proc.stdout[:200]!r}"
                ) from e
        err = (proc.stderr or proc.stdout or "").strip()
        if any(m in err.lower() for m in _MISSING_MARKERS):
            return None
        raise RegistryError(f"cannot query {ref}: {err or f'exit code {proc.returncode}'}")

    def push(self, ref: str) -> None:
        proc = self.runner([self.docker, "push", ref])
        if proc.returncode != 0:
            err = (proc.stderr or proc.stdout or "").strip().splitlines()
            raise RegistryError(f"docker push {ref} failed: {err[-1] if err else proc.returncode}")

    def tag(self, source: str, target: str) -> None:
        proc = self.runner([self.docker, "tag", source, target])
        if proc.returncode != 0:
            raise RegistryError(f"docker tag {source} {target} failed: {proc.stderr.strip()}")

    def image_exists(self, ref: str) -> bool:
        return self.runner([self.docker, "image", "inspect", ref]).returncode == 0
