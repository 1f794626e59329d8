"""What each keep-release subcommand does (keep.release.cli parses the flags): one function per
subcommand, `(root, args, out, err) -> exit code`, raising ReleaseError for a failure it detects."""

from __future__ import annotations

import argparse
import functools
import json
import subprocess
from pathlib import Path
from typing import Any, TextIO

from keep.release import changes, ci_scope, kustomize, promotion, publish, push_base
from keep.release.errors import ExitCode, ReleaseError
from keep.release.pants import Pants
from keep.release.registry import REGISTRIES

DEFAULT_DEPLOY_ROOT = Path("deploy/kustomize")
BASE_IMAGES_SCRIPT = Path("build-support/images/build-base-images.sh")
# Base images that run as-is in the cluster (python-base is only a build input).
DEFAULT_BASE_IMAGES = ("redis", "redis-exporter")


def cmd_changed(root: Path, args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    cs = changes.compute(root, args.since, (*changes.GLOBAL_PATTERNS, *args.global_pattern))
    print(cs.describe(), file=err)
    if not cs.files:
        return ExitCode.OK
    for target in Pants(root).list_images(None if cs.everything else args.since):
        print(target, file=out)
    return ExitCode.OK


def cmd_publish(root: Path, args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    report = publish.publish(
        buildroot=root,
        ref=args.since,
        registry=args.registry,
        dry_run=args.dry_run,
        global_patterns=(*changes.GLOBAL_PATTERNS, *args.global_pattern),
        out=functools.partial(print, file=out),
    )
    if args.report:
        Path(args.report).write_text(report.to_json() + "\n")
    # publish printed each failed image and why.
    return ExitCode.OK if report.ok else ExitCode.FAILED


def cmd_push_base(root: Path, args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    images: dict[str, str] = {}
    for name in args.image or DEFAULT_BASE_IMAGES:
        tag = subprocess.run(
            [str(root / BASE_IMAGES_SCRIPT), "--tag", name],
            capture_output=True,
            text=True,
            check=False,
        )
        if tag.returncode != 0:
            raise ReleaseError(f"unknown base image {name}: {tag.stderr.strip()}")
        images[name] = tag.stdout.strip()
    results = push_base.push_base_images(
        images=images,
        registry_address=REGISTRIES[args.registry],
        dry_run=args.dry_run,
        out=functools.partial(print, file=out),
    )
    if args.report:
        Path(args.report).write_text(push_base.report_json(results) + "\n")
    # push_base_images printed each image's status and why.
    return ExitCode.OK if all(r.status != publish.FAILED for r in results) else ExitCode.FAILED


def cmd_bump(root: Path, args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    pins: dict[str, kustomize.Pin] = {}
    for report in args.report or []:
        data = _read_report(Path(report))
        if not data.get("ok"):
            raise ReleaseError(f"{report} records a failed publish; not bumping")
        pins.update(kustomize.pins_from_report(data))
    for item in args.image or []:
        name, sep, ref = item.partition("=")
        tag, at, digest = ref.partition("@")
        if not sep or not name or not tag or not at:
            raise ReleaseError(f"--image wants NAME=TAG@DIGEST, got {item!r}", ExitCode.USAGE)
        pins[name] = kustomize.Pin(tag, digest)
    path = kustomize.overlay_path(root / args.deploy_root, args.env)
    done = kustomize.set_images(path, pins, dry_run=args.dry_run)
    what = str(path.relative_to(root)) if path.is_relative_to(root) else str(path)
    _print_changes(done, what, args.dry_run, out)
    return ExitCode.OK


def _read_report(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError as e:
        raise ReleaseError(f"{path} is not a publish --report (not JSON: {e})") from None
    if not isinstance(data, dict):
        raise ReleaseError(f"{path} is not a publish --report (not a JSON object)")
    return data


def cmd_promote(root: Path, args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    deploy = root / args.deploy_root
    done = promotion.promote(
        kustomize.overlay_path(deploy, args.src),
        kustomize.overlay_path(deploy, args.dst),
        args.dst,
        args.image,
        mark=None if args.no_mark else promotion.registry_marker(),
        dry_run=args.dry_run,
    )
    for ref in done.marked:
        print(f"marked {ref} (cleanup keeps it)", file=out)
    for ref in done.already_marked:
        print(f"already marked {ref}", file=out)
    _print_changes(done.changes, f"{args.src} -> {args.dst}", args.dry_run, out)
    return ExitCode.OK


def cmd_ci_scope(root: Path, args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    goals = tuple(args.goal or ci_scope.DEFAULT_GOALS)
    scope = ci_scope.compute(root, args.base_ref, args.event)
    print(scope.reason, file=err)
    argv = scope.pants_args(goals)
    if args.args_file:
        args.args_file.parent.mkdir(parents=True, exist_ok=True)
        args.args_file.write_text("".join(f"{a}\n" for a in argv))
    if args.github_output:
        ci_scope.write_github_outputs(args.github_output, scope.github_outputs(goals))
    print(" ".join(argv), file=out)
    return ExitCode.OK


def _print_changes(done: list[kustomize.Change], what: str, dry_run: bool, out: TextIO) -> None:
    verb = "would change" if dry_run else "changed"
    if not done:
        print(f"{what}: nothing to change", file=out)
    for c in done:
        print(f"{what}: {verb} {c}", file=out)
