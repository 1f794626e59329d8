"""push_base without Docker: the tag scheme, failures, and the report `bump` reads."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Sequence

from keep.release import base_image, push_base
from keep.release.publish import FAILED, PUSHED, SKIPPED
from keep.release.publish_test import FakeRegistry, fake_digest
from keep.release.registry import Docker

LOCAL = "127.0.0.1:5000/keep"
CONTENT = "0123456789abcdef" * 4


def runner(registry: FakeRegistry, local_images: set[str]):  # type: ignore[no-untyped-def]
    def run(argv: Sequence[str]) -> subprocess.CompletedProcess[str]:
        if argv[1] == "image":
            code = 0 if argv[-1] in local_images else 1
            return subprocess.CompletedProcess(argv, code, "", "")
        if argv[1] == "tag":
            return subprocess.CompletedProcess(argv, 0, "", "")
        return registry(argv)

    return run


def test_registry_tag_is_the_recipe_tag_plus_the_package_digest() -> None:
    assert push_base.registry_tag("keep/redis:7.0-bookworm-r1", CONTENT) == (
        "7.0-bookworm-r1-0123456789abcdef"
    )
    assert push_base.registry_tag("keep/redis", CONTENT) == "latest-0123456789abcdef"


def test_push_then_skip_and_the_report_pins_both() -> None:
    registry = FakeRegistry(set())
    docker = Docker(runner=runner(registry, {"keep/redis:7.0-bookworm-r1"}))
    images = {"redis": "keep/redis:7.0-bookworm-r1"}
    ref = f"{LOCAL}/redis:7.0-bookworm-r1-0123456789abcdef"
    first = push_base.push_base_images(
        images=images, registry_address=LOCAL, docker=docker, content=lambda _: CONTENT
    )
    again = push_base.push_base_images(
        images=images, registry_address=LOCAL, docker=docker, content=lambda _: CONTENT
    )
    assert [(r.ref, r.status) for r in first + again] == [(ref, PUSHED), (ref, SKIPPED)]
    assert registry.pushed == [ref]
    report = json.loads(push_base.report_json(again))
    assert report["ok"] is True
    assert report["tags"] == {"redis": "7.0-bookworm-r1-0123456789abcdef"}
    assert report["digests"] == {"redis": fake_digest(ref)}


def test_failures_are_reported_and_never_pinned() -> None:
    docker = Docker(runner=runner(FakeRegistry(set()), {"keep/redis:7.0-bookworm-r1"}))

    def unreadable(image: str) -> str:
        raise base_image.BaseImageError(f"cannot list the packages of {image}")

    results = push_base.push_base_images(
        images={"redis": "keep/redis:7.0-bookworm-r1", "redis-exporter": "keep/x:1"},
        registry_address=LOCAL,
        docker=docker,
        content=unreadable,
        out=lambda _: None,
    )
    assert [r.status for r in results] == [FAILED, FAILED]
    assert "not built here" in results[1].reason
    assert "cannot list the packages" in results[0].reason
    report = json.loads(push_base.report_json(results))
    assert report["ok"] is False and report["tags"] == {} and report["digests"] == {}
