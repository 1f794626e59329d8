from __future__ import annotations

import os
import subprocess
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from keep.release.registry import REGISTRIES
from keep.release.testing import commit, git

BASE = os.environ.get("KEEP_PYTHON_BASE", "keep/python-base:3.11-bookworm-r2")
LOCAL = REGISTRIES["local"]


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repository shaped like Keep, with one commit."""
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    commit(
        root,
        {
            "pants.toml": "[GLOBAL]\n",
            "3rdparty/python/default.lock": "{}\n",
            "src/python/keep/gateway/app.py": "x = 1\n",
            "src/python/keep/platform/lib.py": "y = 1\n",
            "build-support/images/recipes/python-base.sh": "IMAGE_TAG=x\n",
            "docs/README.md": "docs\n",
        },
        "initial",
    )
    return root


def _unavailable() -> str | None:
    if subprocess.run(["docker", "info"], capture_output=True, check=False).returncode != 0:
        return "dockerd not answering (build-support/docker/ensure-docker.sh)"
    if (
        subprocess.run(
            ["docker", "image", "inspect", BASE], capture_output=True, check=False
        ).returncode
        != 0
    ):
        return f"{BASE} not built (build-support/images/build-base-images.sh)"
    try:
        urllib.request.urlopen(f"http://{LOCAL.split('/')[0]}/v2/", timeout=2).close()
    except OSError:
        return "no registry on 127.0.0.1:5000 (build-support/registry/ensure-registry.sh)"
    return None


@pytest.fixture(scope="module")
def test_image(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    reason = _unavailable()
    if reason:
        pytest.fail(f"{reason}; without Docker, deselect with --tag=-docker", pytrace=False)
    ctx: Path = tmp_path_factory.mktemp("ctx")
    token = uuid.uuid4().hex[:12]
    (ctx / "hello.py").write_text(f"print('hello {token}')\n")
    (ctx / "Dockerfile").write_text(
        "ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\nCOPY hello.py /app/hello.py\n"
        'USER 10001\nENTRYPOINT ["python3.11", "/app/hello.py"]\n'
    )
    ref = f"{LOCAL}/release-test:{token}"
    subprocess.run(
        ["docker", "build", "-q", "--build-arg", f"BASE_IMAGE={BASE}", "-t", ref, str(ctx)],
        check=True,
        capture_output=True,
    )
    yield ref
    subprocess.run(["docker", "image", "rm", ref], capture_output=True, check=False)
