"""End-to-end publish against real Pants, dockerd and the local registry, in a throwaway mini
Pants repository (two docker_image targets sharing a `files` target, built FROM keep/python-base).

Opt-in (it runs a nested Pants several times): set KEEP_E2E_PANTS to a Pants 2.17 command, e.g.
  KEEP_E2E_PANTS=~/.cache/keep-pants/venv-2.17.1-<fp>/bin/pants KEEP_TOOLS_DIR=~/.cache/keep-pants/tools
The mini repo's pants.toml takes [pex-cli] from $KEEP_TOOLS_DIR like Keep's does.
Scenarios: config change -> all pushed; nothing changed -> no build; one image's file changed ->
only it pushed; shared file changed -> both pushed; same again -> 0 pushes.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import signal
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from keep.release import publish
from keep.release.pants import Pants
from keep.release.testing import commit, git

PANTS = os.environ.get("KEEP_E2E_PANTS", "")
BASE = os.environ.get("KEEP_PYTHON_BASE", "keep/python-base:3.11-bookworm-r1")

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
build_args = ["BASE_IMAGE=@BASE@"]

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


@pytest.fixture
def mini_repo(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    if not PANTS:
        pytest.skip("set KEEP_E2E_PANTS (and KEEP_TOOLS_DIR) to run the end-to-end publish test")
    token = uuid.uuid4().hex[:8]
    root = tmp_path / "mini"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    files = {
        "pants.toml": PANTS_TOML.replace("@BASE@", BASE),
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


def test_publish_end_to_end(mini_repo: tuple[Path, str]) -> None:
    root, token = mini_repo
    pants = Pants(root, command=tuple(shlex.split(PANTS)))

    def run(ref: str) -> publish.Report:
        report = publish.publish(buildroot=root, ref=ref, registry="local", pants=pants)
        assert report.ok, report.to_json()
        return report

    def pushed(report: publish.Report) -> set[str]:
        return {i.repository.split("-")[1] for i in report.images if i.status == publish.PUSHED}

    c0 = git(root, "rev-parse", "HEAD")
    c1 = commit(root, {"pants.toml": PANTS_TOML.replace("@BASE@", BASE) + "# touched\n"})
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

    again = run(c2)  # same content, same hashes: everything already in the registry
    assert pushed(again) == set()
    assert {i.status for i in again.images} == {publish.SKIPPED}
    assert again.tags() == both.tags()
