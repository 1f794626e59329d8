from __future__ import annotations

from pathlib import Path

import pytest

from keep.release.testing import commit, git


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
