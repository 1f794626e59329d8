"""keep-release: build and push only changed images; bump and promote kustomize overlays.

  ./pants run src/python/keep/release:cli -- changed   --since origin/main
  ./pants run src/python/keep/release:cli -- publish   --since origin/main --registry local [--dry-run] [--report publish.json]
  ./pants run src/python/keep/release:cli -- push-base --registry artifact-registry [--image redis] [--report push-base.json]
  ./pants run src/python/keep/release:cli -- bump      --env dev --report publish.json [--report push-base.json] | --image gateway=<tag>@sha256:<digest> ...
  ./pants run src/python/keep/release:cli -- promote   --from dev --to prod [--image gateway ...] [--no-mark]
  ./pants run src/python/keep/release:cli -- ci-scope  --base-ref origin/main [--event pull_request] [--args-file F] [--github-output F]

Exit codes: see keep.release.errors.ExitCode (0 ok, 1 a build/push/edit failed, 2 usage).
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from keep.release import changes, ci_scope, kustomize, promotion, publish, push_base
from keep.release.errors import ExitCode, ReleaseError
from keep.release.pants import Pants, PantsError
from keep.release.registry import REGISTRIES, RegistryError

DEFAULT_DEPLOY_ROOT = Path("deploy/kustomize")
BASE_IMAGES_SCRIPT = Path("build-support/images/build-base-images.sh")
# Base images that run as-is in the cluster (python-base is only a build input).
DEFAULT_BASE_IMAGES = ("redis", "redis-exporter")


def _buildroot(arg: str | None) -> Path:
    if arg:
        return Path(arg).resolve()
    top = subprocess.run(
        ["git", "rev-parse", "--show-toplevel"], capture_output=True, text=True, check=False
    )
    return Path(top.stdout.strip()) if top.returncode == 0 else Path.cwd()


def _cmd_changed(root: Path, args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    cs = changes.compute(root, args.since, (*changes.GLOBAL_PATTERNS, *args.global_pattern))
    print(cs.describe(), file=err)
    if not cs.files:
        return ExitCode.OK
    for target in Pants(root).list_images(None if cs.everything else args.since):
        print(target, file=out)
    return ExitCode.OK


def _cmd_publish(root: Path, args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
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


def _cmd_push_base(root: Path, args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
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


def _cmd_bump(root: Path, args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
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


def _cmd_promote(root: Path, args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
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


def _cmd_ci_scope(root: Path, args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
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


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="keep-release",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--buildroot", help="repository root (default: git top level of the cwd)")
    sub = p.add_subparsers(dest="command", required=True)

    def since(sp: argparse.ArgumentParser) -> None:
        sp.add_argument(
            "--since",
            required=True,
            metavar="REF",
            help="git ref to compare with, e.g. origin/main or HEAD~1",
        )
        sp.add_argument(
            "--global-pattern",
            action="append",
            default=[],
            metavar="GLOB",
            help="extra path pattern whose change rebuilds every image",
        )

    def registry(sp: argparse.ArgumentParser) -> None:
        sp.add_argument(
            "--registry",
            choices=sorted(REGISTRIES),
            default="local",
            help="Pants registry alias to push to (default: local)",
        )
        sp.add_argument(
            "--dry-run", action="store_true", help="build and query the registry, but push nothing"
        )

    sp = sub.add_parser("changed", help="list the images a change affects (no build)")
    since(sp)
    sp.set_defaults(func=_cmd_changed)

    sp = sub.add_parser("publish", help="build changed images, push tags missing in the registry")
    since(sp)
    registry(sp)
    sp.add_argument("--report", metavar="FILE", help="write a JSON report (input of `bump`)")
    sp.set_defaults(func=_cmd_publish)

    sp = sub.add_parser("push-base", help="copy locally built base images into the registry")
    registry(sp)
    sp.add_argument(
        "--image",
        action="append",
        metavar="NAME",
        help=f"base image recipe name (default: {', '.join(DEFAULT_BASE_IMAGES)})",
    )
    sp.add_argument("--report", metavar="FILE", help="write a JSON report (input of `bump`)")
    sp.set_defaults(func=_cmd_push_base)

    sp = sub.add_parser("bump", help="set newTag and digest in an overlay's images: entries")
    sp.add_argument("--env", required=True, help="overlay name, e.g. dev")
    sp.add_argument("--deploy-root", type=Path, default=DEFAULT_DEPLOY_ROOT)
    src = sp.add_mutually_exclusive_group(required=True)
    src.add_argument(
        "--report",
        action="append",
        metavar="FILE",
        help="publish/push-base --report output: pin every image it built (repeatable)",
    )
    src.add_argument("--image", action="append", metavar="NAME=TAG@DIGEST")
    sp.add_argument("--dry-run", action="store_true", help="show the changes, write nothing")
    sp.set_defaults(func=_cmd_bump)

    sp = sub.add_parser(
        "promote",
        help="copy newTag + digest to another overlay, marking the images in the registry",
    )
    sp.add_argument("--from", dest="src", default="dev")
    sp.add_argument("--to", dest="dst", default="prod")
    sp.add_argument("--deploy-root", type=Path, default=DEFAULT_DEPLOY_ROOT)
    sp.add_argument("--image", action="append", metavar="NAME", help="only these images")
    sp.add_argument(
        "--no-mark",
        action="store_true",
        help="do not tag the images <to>-<tag> in the registry (cleanup may then delete them)",
    )
    sp.add_argument("--dry-run", action="store_true", help="show the changes, write nothing")
    sp.set_defaults(func=_cmd_promote)

    sp = sub.add_parser(
        "ci-scope", help="print the Pants arguments CI runs: everything or affected targets"
    )
    sp.add_argument(
        "--base-ref",
        required=True,
        metavar="REF",
        help="compare with the merge base of REF and HEAD (origin/main, the push's `before` sha)",
    )
    sp.add_argument(
        "--event",
        default="pull_request",
        help="GitHub event name; schedule and workflow_dispatch run everything",
    )
    sp.add_argument(
        "--goal",
        action="append",
        metavar="GOAL",
        help=f"Pants goal (default: {' '.join(ci_scope.DEFAULT_GOALS)})",
    )
    sp.add_argument("--args-file", type=Path, help="write the Pants arguments, one per line")
    sp.add_argument(
        "--github-output", type=Path, help="append everything/empty/base/since/args/reason"
    )
    sp.set_defaults(func=_cmd_ci_scope)
    return p


def main(
    argv: Sequence[str] | None = None, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    args = build_parser().parse_args(argv)
    root = _buildroot(args.buildroot)
    try:
        return int(args.func(root, args, out, err))
    except ReleaseError as e:
        print(f"keep-release: error: {e.message}", file=err)
        return int(e.code)
    except (kustomize.OverlayError, changes.GitError, PantsError, RegistryError, OSError) as e:
        # Their messages name the file, ref, target or image and what went wrong.
        print(f"keep-release: error: {e}", file=err)
        return int(ExitCode.FAILED)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
