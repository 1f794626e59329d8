from __future__ import annotations

import hashlib
import json
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

from keep.release import base_image, publish
from keep.release.pants import Pants
from keep.release.registry import Docker
from keep.release.testing import commit, git

ALL = [
    "src/python/keep/datastorage:image",
    "src/python/keep/gateway:image",
    "src/python/keep/ratelimit:image",
]


class FakePants:
    """Answers `list` like Pants would for a repo where gateway depends on platform."""

    def __init__(self, repo: Path, hashes: dict[str, str]) -> None:
        self.repo = repo
        self.hashes = hashes
        self.calls: list[list[str]] = []
        self.envs: list[dict[str, str]] = []

    def __call__(
        self, argv: Sequence[str], cwd: Path, env: Mapping[str, str]
    ) -> subprocess.CompletedProcess[str]:
        assert env["PANTS_CONCURRENT"] == "True"
        args = list(argv[1:])
        self.calls.append(args)
        self.envs.append(dict(env))
        out = ""
        if "list" in args and "::" in args:
            out = "\n".join(ALL)
        elif "list" in args:
            out = "src/python/keep/gateway:image\n"
        elif args[0] == "package":
            for target in args[1:]:
                repo_name = target.split(":")[0].rsplit("/", 1)[1]
                tag = self.hashes[repo_name]
                info = {
                    "version": 1,
                    "image_id": "sha256:x",
                    "registries": [
                        {
                            "alias": "local",
                            "address": "127.0.0.1:5000/keep",
                            "repository": repo_name,
                            "tags": [
                                {
                                    "template": "{pants.hash}",
                                    "tag": tag,
                                    "uses_local_alias": False,
                                    "name": f"127.0.0.1:5000/keep/{repo_name}:{tag}",
                                }
                            ],
                        }
                    ],
                }
                path = self.repo / "dist" / target.split(":")[0].replace("/", ".")
                path.mkdir(parents=True, exist_ok=True)
                (path / "image.docker-info.json").write_text(json.dumps(info))
        return subprocess.CompletedProcess(argv, 0, out, "")


def fake_digest(ref: str) -> str:
    return "sha256:" + hashlib.sha256(ref.encode()).hexdigest()


class FakeRegistry:
    def __init__(self, existing: set[str], fail_push: bool = False) -> None:
        self.existing = set(existing)
        self.pushed: list[str] = []
        self.fail_push = fail_push

    def __call__(self, argv: Sequence[str]) -> subprocess.CompletedProcess[str]:
        if argv[1:3] == ["manifest", "inspect"]:
            ref = argv[-1]
            if ref in self.existing:
                descriptor = {"Descriptor": {"digest": fake_digest(ref)}}
                return subprocess.CompletedProcess(argv, 0, json.dumps(descriptor), "")
            return subprocess.CompletedProcess(argv, 1, "", f"no such manifest: {ref}")
        if argv[1] == "push":
            if self.fail_push:
                return subprocess.CompletedProcess(argv, 1, "", "denied: nope")
            self.pushed.append(argv[2])
            self.existing.add(argv[2])
            return subprocess.CompletedProcess(argv, 0, "", "")
        raise AssertionError(argv)


def run(
    repo: Path, ref: str, registry: FakeRegistry, pants: FakePants, **kw: object
) -> publish.Report:
    lines: list[str] = []
    kw.setdefault("base_content", lambda _: BASE_CONTENT)
    report = publish.publish(
        buildroot=repo,
        ref=ref,
        registry="local",
        pants=Pants(repo, command=("./pants",), runner=pants),
        docker=Docker(runner=registry),
        out=lines.append,
        **kw,  # type: ignore[arg-type]
    )
    print("\n".join(lines))
    return report


HASHES = {"datastorage": "d1", "gateway": "g1", "ratelimit": "r1"}
BASE_CONTENT = "c0ffee" * 10 + "abcd"


def test_nothing_changed_runs_no_build(repo: Path) -> None:
    pants, reg = FakePants(repo, HASHES), FakeRegistry(set())
    report = run(repo, "HEAD", reg, pants)
    assert report.ok and report.targets == [] and pants.calls == [] and reg.pushed == []


def test_source_change_builds_dependents_and_pushes_missing(repo: Path) -> None:
    base = git(repo, "rev-parse", "HEAD")
    commit(repo, {"src/python/keep/platform/lib.py": "y = 2\n"})
    pants, reg = FakePants(repo, HASHES), FakeRegistry(set())
    report = run(repo, base, reg, pants)
    assert pants.calls[0] == [
        f"--changed-since={base}",
        "--changed-dependents=transitive",
        "--filter-target-type=docker_image",
        "list",
    ]
    assert pants.calls[1] == ["package", "src/python/keep/gateway:image"]
    # The base image's content is a build arg of the package run, hence part of {pants.hash}.
    assert pants.envs[1]["BASE_IMAGE_CONTENT"] == BASE_CONTENT
    assert reg.pushed == ["127.0.0.1:5000/keep/gateway:g1"]
    assert report.ok and report.pushed() == {"gateway": "g1"}
    # The digest is read back from the registry after the push: what bump pins.
    assert report.digests() == {"gateway": fake_digest("127.0.0.1:5000/keep/gateway:g1")}

    # Same inputs again: same hash, tag already there -> skipped, nothing pushed.
    reg.pushed.clear()
    again = run(repo, base, reg, pants)
    assert reg.pushed == [] and [i.status for i in again.images] == [publish.SKIPPED]
    assert again.tags() == {"gateway": "g1"} and again.pushed() == {}
    assert again.digests() == report.digests()


def test_config_change_builds_everything(repo: Path) -> None:
    base = git(repo, "rev-parse", "HEAD")
    commit(repo, {"3rdparty/python/default.lock": '{"x": 1}\n'})
    existing = {"127.0.0.1:5000/keep/datastorage:d1"}
    pants, reg = FakePants(repo, HASHES), FakeRegistry(existing)
    report = run(repo, base, reg, pants)
    assert pants.calls[0] == ["--filter-target-type=docker_image", "list", "::"]
    assert pants.calls[1] == ["package", *ALL]
    assert sorted(reg.pushed) == [
        "127.0.0.1:5000/keep/gateway:g1",
        "127.0.0.1:5000/keep/ratelimit:r1",
    ]
    statuses = {i.repository: i.status for i in report.images}
    assert statuses == {"datastorage": "skipped", "gateway": "pushed", "ratelimit": "pushed"}
    assert "build configuration changed" in report.reason


def test_dry_run_pushes_nothing(repo: Path) -> None:
    base = git(repo, "rev-parse", "HEAD")
    commit(repo, {"src/python/keep/gateway/app.py": "x = 5\n"})
    pants, reg = FakePants(repo, HASHES), FakeRegistry(set())
    report = run(repo, base, reg, pants, dry_run=True)
    assert reg.pushed == [] and report.ok
    assert [i.status for i in report.images] == [publish.WOULD_PUSH]
    assert json.loads(report.to_json())["pushed"] == {"gateway": "g1"}
    assert json.loads(report.to_json())["digests"] == {}  # nothing in the registry to pin


def test_push_failure_fails_the_run(repo: Path) -> None:
    base = git(repo, "rev-parse", "HEAD")
    commit(repo, {"src/python/keep/gateway/app.py": "x = 6\n"})
    report = run(repo, base, FakeRegistry(set(), fail_push=True), FakePants(repo, HASHES))
    assert not report.ok
    assert report.images[0].status == publish.FAILED and "denied" in report.images[0].reason


def test_unknown_registry_alias_fails(repo: Path) -> None:
    base = git(repo, "rev-parse", "HEAD")
    commit(repo, {"src/python/keep/gateway/app.py": "x = 7\n"})
    pants, reg = FakePants(repo, HASHES), FakeRegistry(set())
    report = publish.publish(
        buildroot=repo,
        ref=base,
        registry="artifact-registry",
        pants=Pants(repo, command=("p",), runner=pants),
        docker=Docker(runner=reg),
        out=lambda _: None,
        base_content=lambda _: BASE_CONTENT,
    )
    assert not report.ok and "no tag for registry 'artifact-registry'" in report.images[0].reason


def test_pants_failure_fails_the_run(repo: Path) -> None:
    base = git(repo, "rev-parse", "HEAD")
    commit(repo, {"src/python/keep/gateway/app.py": "x = 8\n"})

    def broken(
        argv: Sequence[str], cwd: Path, env: Mapping[str, str]
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.CompletedProcess(argv, 1, "", "boom")

    report = publish.publish(
        buildroot=repo,
        ref=base,
        registry="local",
        pants=Pants(repo, command=("p",), runner=broken),
        docker=Docker(runner=FakeRegistry(set())),
        out=lambda _: None,
        base_content=lambda _: BASE_CONTENT,
    )
    assert not report.ok and report.error and "exit code 1" in report.error


def test_an_unreadable_base_image_fails_before_building(repo: Path) -> None:
    base = git(repo, "rev-parse", "HEAD")
    commit(repo, {"src/python/keep/gateway/app.py": "x = 9\n"})
    pants = FakePants(repo, HASHES)

    def missing(_: Path) -> str:
        raise base_image.BaseImageError("cannot list the packages of keep/python-base:x")

    report = run(repo, base, FakeRegistry(set()), pants, base_content=missing)
    assert not report.ok and report.error and "cannot list the packages" in report.error
    assert not any(call[0] == "package" for call in pants.calls)
