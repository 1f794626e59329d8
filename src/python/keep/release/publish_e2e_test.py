"""End-to-end publish against real Pants, dockerd and the local registry, in a throwaway mini
Pants repository (two docker_image targets sharing a `files` target, built FROM keep/python-base).

Tagged `docker` (it needs dockerd, keep/python-base and the registry on 127.0.0.1:5000, and runs
a nested Pants several times). The nested Pants is the one ./pants runs: the venv and provisioned
tools the launcher keeps in ~/.cache/keep-pants (KEEP_PANTS_CACHE / XDG_CACHE_HOME move it, as they
do for ./pants), picked by the fingerprint of build-support/pants/pants.lock exactly like the
launcher does. KEEP_E2E_PANTS (a Pants 2.17 command) and KEEP_TOOLS_DIR override that. The mini
repo's pants.toml takes [pex-cli] from $KEEP_TOOLS_DIR like Keep's does.
Scenarios: config change -> all pushed; nothing changed -> no build; one image's file changed ->
only it pushed; shared file changed -> both pushed; same again -> 0 pushes; a scheduled run on
an unchanged base -> same tags, 0 pushes; on a patched base (same name, a package upgraded) ->
new tags for both, pushed.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shlex
import signal
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from keep.deploycheck import render
from keep.release import changes, kustomize, publish
from keep.release.pants import Pants, default_env
from keep.release.registry import REGISTRIES
from keep.release.registry_test import registry_digest
from keep.release.testing import commit, git, patched_base_dockerfile

LOCAL = REGISTRIES["local"]

PANTS_VERSION = "2.17.1"
LAUNCHER_LOCK = Path("build-support/pants/pants.lock")
BASE = os.environ.get("KEEP_PYTHON_BASE", "keep/python-base:3.11-bookworm-r2")

PANTS_TOML = """\
[GLOBAL]
pants_version = "2.17.1"
backend_packages = ["pants.backend.docker"]
ca_certs_path = "/etc/ssl/certs/ca-certificates.crt"
pants_ignore.add = ["/dist/"]

[python]
interpreter_constraints = ["==3.11.*"]

[python-bootstrap]
search_path = ["<PATH>", "<PYENV>"]

[subprocess-environment]
env_vars = ["PIP_CONFIG_FILE=/dev/null"]

[pex-cli]
version = "v2.1.137"
url_template = "file://%(env.KEEP_TOOLS_DIR)s/pex-{version}/pex"
known_versions = ["v2.1.137|linux_x86_64|02252fec0a0fc8475f4ebc09edd65d81ae502b609549e059d45c4bc48cae944f|3563515"]

[docker]
build_args = ["BASE_IMAGE=@BASE@", "BASE_IMAGE_CONTENT"]

[docker.registries.local]
address = "127.0.0.1:5000/keep"
default = true

[docker.registries.artifact-registry]
address = "europe-west1-docker.pkg.dev/keep-artifacts/keep"
default = true
"""

DOCKERFILE = """\
ARG BASE_IMAGE
FROM ${BASE_IMAGE}
ARG BASE_IMAGE_CONTENT
LABEL base-content=${BASE_IMAGE_CONTENT}
COPY src/shared/shared.txt src/@SVC@/own.txt /app/
USER 10001
ENTRYPOINT ["cat", "/app/shared.txt", "/app/own.txt"]
"""

BUILD = """\
files(name="own", sources=["own.txt"])

docker_image(
    name="image",
    repository="@REPO@",
    image_tags=["{pants.hash}"],
    dependencies=[":own", "src/shared:files"],
)
"""


def _launcher_lock() -> Path:
    """build-support/pants/pants.lock: in the Pants sandbox (cwd) or in the checkout."""
    for base in (Path.cwd(), *Path(__file__).resolve().parents):
        if (base / LAUNCHER_LOCK).is_file():
            return base / LAUNCHER_LOCK
    raise AssertionError(
        f"{LAUNCHER_LOCK} not found (the test depends on build-support/pants:lock)"
    )


def nested_pants() -> tuple[tuple[str, ...], dict[str, str]]:
    """The Pants command and environment ./pants would use (see the module docstring)."""
    home_cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    cache = Path(os.environ.get("KEEP_PANTS_CACHE") or home_cache / "keep-pants")
    tools = Path(os.environ.get("KEEP_TOOLS_DIR") or cache / "tools")
    explicit = os.environ.get("KEEP_E2E_PANTS")
    if explicit:
        command = tuple(shlex.split(explicit))
    else:
        fingerprint = hashlib.sha256(_launcher_lock().read_bytes()).hexdigest()[:16]
        pants = cache / f"venv-{PANTS_VERSION}-{fingerprint}" / "bin" / "pants"
        assert os.access(pants, os.X_OK), f"{pants} missing: run ./pants once to create it"
        command = (str(pants),)
    pex = tools / "pex-v2.1.137" / "pex"
    assert pex.is_file(), f"{pex} missing: run ./pants once to provision the tools"
    return command, {**default_env(), "KEEP_TOOLS_DIR": str(tools)}


def base_of(token: str) -> str:
    return f"keep-e2e-base-{token}:r1"


def patch_base(token: str, tmp_path: Path) -> None:
    """What a Debian security update does to the base: same name, one package newer."""
    context = tmp_path / "patched-base"
    context.mkdir()
    # dpkg's status database is what the base's content digest is computed from.
    (context / "Dockerfile").write_text(patched_base_dockerfile(base_of(token), "+security1"))
    subprocess.run(
        ["docker", "build", "-q", "-t", base_of(token), str(context)],
        check=True,
        capture_output=True,
    )


@pytest.fixture
def mini_repo(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    token = uuid.uuid4().hex[:8]
    root = tmp_path / "mini"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    # The mini repo's own name for the base, so the test can patch it in place.
    subprocess.run(["docker", "tag", BASE, base_of(token)], check=True)
    files = {
        "pants.toml": PANTS_TOML.replace("@BASE@", base_of(token)),
        ".gitignore": "/dist/\n/.pants.d/\n/.pids/\n",
        "src/shared/BUILD": 'files(name="files", sources=["shared.txt"])\n',
        "src/shared/shared.txt": f"shared {token}\n",
    }
    for svc in ("alpha", "beta"):
        files[f"src/{svc}/Dockerfile"] = DOCKERFILE.replace("@SVC@", svc)
        files[f"src/{svc}/BUILD"] = BUILD.replace("@REPO@", f"e2e-{svc}-{token}")
        files[f"src/{svc}/own.txt"] = f"{svc} v1\n"
    commit(root, files, "initial")
    yield root, token
    for pid_file in root.glob(".pids/**/pid"):  # the pantsd our Pants runs started
        with contextlib.suppress(ValueError, ProcessLookupError):
            os.kill(int(pid_file.read_text().strip()), signal.SIGTERM)
    images = subprocess.run(
        ["docker", "images", "--format", "{{.Repository}}:{{.Tag}}"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.split()
    mine = [i for i in images if token in i]
    if mine:
        subprocess.run(["docker", "image", "rm", *mine], capture_output=True, check=False)


def test_publish_end_to_end(mini_repo: tuple[Path, str], tmp_path: Path) -> None:
    root, token = mini_repo
    command, env = nested_pants()
    pants = Pants(root, command=command, env=env)

    def run(ref: str, global_patterns: tuple[str, ...] = changes.GLOBAL_PATTERNS) -> publish.Report:
        report = publish.publish(
            buildroot=root, ref=ref, registry="local", pants=pants, global_patterns=global_patterns
        )
        assert report.ok, report.to_json()
        return report

    def pushed(report: publish.Report) -> set[str]:
        return {i.repository.split("-")[1] for i in report.images if i.status == publish.PUSHED}

    c0 = git(root, "rev-parse", "HEAD")
    c1 = commit(root, {"pants.toml": PANTS_TOML.replace("@BASE@", base_of(token)) + "# touched\n"})
    first = run(c0)  # configuration changed -> every image
    assert pushed(first) == {"alpha", "beta"}
    assert len(first.targets) == 2

    nothing = run(c1)  # nothing changed since c1
    assert nothing.targets == [] and nothing.images == []

    c2 = commit(root, {"src/alpha/own.txt": "alpha v2\n"})
    one = run(c1)
    assert one.targets == ["src/alpha:image"] and pushed(one) == {"alpha"}

    commit(root, {"src/shared/shared.txt": f"shared {token} v2\n"})
    both = run(c2)
    assert pushed(both) == {"alpha", "beta"}

    # The digests the report carries (what bump pins) are the registry's own.
    assert set(both.digests()) == set(both.tags())
    for image in both.images:
        assert both.digests()[image.repository] == registry_digest(image.ref)

    again = run(c2)  # same content, same hashes: everything already in the registry
    assert pushed(again) == set()
    assert {i.status for i in again.images} == {publish.SKIPPED}
    assert again.tags() == both.tags() and again.digests() == both.digests()
    _bump_and_render(json.loads(again.to_json()), tmp_path / "overlay")

    # The weekly release: everything, on the base the runner just built (release.yml passes
    # --global-pattern '*'). Same packages: same tags, nothing pushed.
    weekly = run(c2, global_patterns=("*",))
    assert weekly.tags() == both.tags() and pushed(weekly) == set()

    patch_base(token, tmp_path)
    patched = run(c2, global_patterns=("*",))
    assert pushed(patched) == {"alpha", "beta"}
    assert all(patched.tags()[repo] != tag for repo, tag in both.tags().items())
    assert all(patched.digests()[repo] != d for repo, d in both.digests().items())


def _bump_and_render(report: dict[str, Any], overlay: Path) -> None:
    """What the release job's bump does with the report, rendered by the real kustomize: each
    image becomes name:tag@digest with the registry's digest."""
    tags: dict[str, str] = report["tags"]
    digests: dict[str, str] = report["digests"]
    overlay.mkdir()
    entries = "".join(
        f"  - name: {repo}\n    newName: {LOCAL}/{repo}\n    newTag: unreleased\n" for repo in tags
    )
    pod_containers = ", ".join(f"{{name: c{i}, image: {repo}}}" for i, repo in enumerate(tags))
    (overlay / "kustomization.yaml").write_text(f"resources: [pod.yaml]\nimages:\n{entries}")
    (overlay / "pod.yaml").write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n"
        f"spec: {{containers: [{pod_containers}]}}\n"
    )
    kustomize.set_images(overlay / "kustomization.yaml", kustomize.pins_from_report(report))
    rendered = subprocess.run(
        [render.kubectl(), "kustomize", str(overlay)], capture_output=True, text=True, check=True
    ).stdout
    for repo, tag in tags.items():
        assert f"image: {LOCAL}/{repo}:{tag}@{digests[repo]}" in rendered
