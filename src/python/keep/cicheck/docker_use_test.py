"""One marker for the tests that need Docker (issue 16): the `docker` tag, on exactly the tests
keep.cicheck.docker_use says need Docker, and the README's offline command leaves them out by it."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from keep.cicheck import build_targets, docker_use

ROOT = Path(".")
SOURCE_ROOTS = [
    ROOT / pattern.strip("/")
    for pattern in tomllib.loads(Path("pants.toml").read_text())["source"]["root_patterns"]
]
OFFLINE_COMMAND = f"./pants --tag=-{docker_use.TAG} test ::"


def test_exactly_the_tests_that_need_docker_are_tagged_docker() -> None:
    owned = build_targets.python_test_files(ROOT)
    assert Path("src/python/keep/ratelimit/counter_test.py") in owned, sorted(owned)
    problems, needing = [], []
    for test, target in owned.items():
        why = docker_use.reason(ROOT, test, target, SOURCE_ROOTS)
        needing += [test] if why else []
        if why and not docker_use.tagged(target, test.name):
            problems.append(f"{test}: {why}, but {target.address} does not tag it docker")
        if docker_use.tagged(target, test.name) and not why:
            problems.append(f"{test}: tagged docker by {target.address}, but needs no Docker")
    assert not problems, "\n".join(problems)
    # The audit of issue 16: these need Docker (containers, images, the docker CLI).
    assert {
        Path("src/python/keep/e2e/stack_test.py"),
        Path("src/python/keep/datastorage/image_test.py"),
        Path("src/python/keep/gateway/gateway_integration_test.py"),
        Path("src/python/keep/release/registry_test.py"),
    } <= set(needing)


def test_the_readme_offline_command_leaves_out_the_docker_tag() -> None:
    readme = Path("README.md").read_text()
    assert f"`{OFFLINE_COMMAND}`" in readme
    assert "--tag=-integration" not in readme


def _repo(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    return tmp_path


def _reasons(root: Path) -> dict[str, str | None]:
    return {
        str(test): docker_use.reason(root, test, target, [root / "src"])
        for test, target in build_targets.python_test_files(root).items()
    }


def test_docker_reached_through_keep_modules_and_conftest(tmp_path: Path) -> None:
    root = _repo(
        tmp_path,
        {
            "src/keep/testing/box.py": "from testcontainers.redis import RedisContainer\n",
            "src/keep/testing/helper.py": "from keep.testing import box\n",
            "src/keep/a/BUILD": 'python_tests(name="tests", tags=["docker"])\n',
            "src/keep/a/direct_test.py": "import docker\n",
            "src/keep/a/indirect_test.py": "from keep.testing.helper import x\n",
            "src/keep/b/BUILD": 'python_tests(name="tests")\n',
            "src/keep/b/conftest.py": "from keep.testing import box\n",
            "src/keep/b/fixture_test.py": "def test_x(redis): ...\n",
            "src/keep/c/BUILD": 'python_tests(name="tests")\n',
            "src/keep/c/plain_test.py": "import subprocess\nimport keep.testing\n",
            # Borrowing tests from a Docker suite re-runs them with this module's fixtures.
            "src/keep/c/borrowing_test.py": "from keep.a.direct_test import test_y\n",
        },
    )
    reasons = _reasons(root)
    assert reasons["src/keep/a/direct_test.py"] == "imports docker"
    assert reasons["src/keep/a/indirect_test.py"] == (
        "imports testcontainers.redis (through keep.testing.helper)"
    )
    assert reasons["src/keep/b/fixture_test.py"] == (
        "imports testcontainers.redis (through conftest.py)"
    )
    assert reasons["src/keep/c/plain_test.py"] is None
    assert reasons["src/keep/c/borrowing_test.py"] is None


@pytest.mark.parametrize(
    ("source", "needs"),
    [
        ('subprocess.run(["docker", "info"], check=True)\n', True),
        ('subprocess.Popen(("docker", "run", image))\n', True),
        # A fake runner that checks the argv it was given does not run Docker.
        ('assert argv[:2] == ["docker", "run"]\n', False),
        ('subprocess.run(["docker-registry", "serve", config])\n', False),
    ],
)
def test_the_docker_cli_run_by_the_test_itself(tmp_path: Path, source: str, needs: bool) -> None:
    root = _repo(
        tmp_path,
        {"src/keep/a/BUILD": "python_tests()\n", "src/keep/a/cli_test.py": source},
    )
    assert (_reasons(root)["src/keep/a/cli_test.py"] == "runs the docker CLI") is needs


def test_an_image_packaged_before_the_test(tmp_path: Path) -> None:
    root = _repo(
        tmp_path,
        {
            "src/keep/svc/BUILD": 'python_service(name="svc", ports=[1])\n',
            "src/keep/a/BUILD": (
                'pex_binary(name="tool")\n'
                'python_tests(name="tests", overrides={\n'
                '    "image_test.py": {"runtime_package_dependencies": ["src/keep/svc:image"]},\n'
                '    "tool_test.py": {"runtime_package_dependencies": [":tool"]},\n})\n'
            ),
            "src/keep/a/image_test.py": "",
            "src/keep/a/tool_test.py": "",
        },
    )
    reasons = _reasons(root)
    assert reasons["src/keep/a/image_test.py"] == "packages src/keep/svc:image before it runs"
    assert reasons["src/keep/a/tool_test.py"] is None
