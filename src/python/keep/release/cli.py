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
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from keep.release import changes, ci_scope, commands, kustomize
from keep.release.errors import ExitCode, ReleaseError
from keep.release.pants import PantsError
from keep.release.registry import REGISTRIES, RegistryError


def _buildroot(arg: str | None) -> Path:
    if arg:
        return Path(arg).resolve()
    top = subprocess.run(
        ["git", "rev-parse", "--show-toplevel"], capture_output=True, text=True, check=False
    )
    return Path(top.stdout.strip()) if top.returncode == 0 else Path.cwd()


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
    sp.set_defaults(func=commands.cmd_changed)

    sp = sub.add_parser("publish", help="build changed images, push tags missing in the registry")
    since(sp)
    registry(sp)
    sp.add_argument("--report", metavar="FILE", help="write a JSON report (input of `bump`)")
    sp.set_defaults(func=commands.cmd_publish)

    sp = sub.add_parser("push-base", help="copy locally built base images into the registry")
    registry(sp)
    sp.add_argument(
        "--image",
        action="append",
        metavar="NAME",
        help=f"base image recipe name (default: {', '.join(commands.DEFAULT_BASE_IMAGES)})",
    )
    sp.add_argument("--report", metavar="FILE", help="write a JSON report (input of `bump`)")
    sp.set_defaults(func=commands.cmd_push_base)

    sp = sub.add_parser("bump", help="set newTag and digest in an overlay's images: entries")
    sp.add_argument("--env", required=True, help="overlay name, e.g. dev")
    sp.add_argument("--deploy-root", type=Path, default=commands.DEFAULT_DEPLOY_ROOT)
    src = sp.add_mutually_exclusive_group(required=True)
    src.add_argument(
        "--report",
        action="append",
        metavar="FILE",
        help="publish/push-base --report output: pin every image it built (repeatable)",
    )
    src.add_argument("--image", action="append", metavar="NAME=TAG@DIGEST")
    sp.add_argument("--dry-run", action="store_true", help="show the changes, write nothing")
    sp.set_defaults(func=commands.cmd_bump)

    sp = sub.add_parser(
        "promote",
        help="copy newTag + digest to another overlay, marking the images in the registry",
    )
    sp.add_argument("--from", dest="src", default="dev")
    sp.add_argument("--to", dest="dst", default="prod")
    sp.add_argument("--deploy-root", type=Path, default=commands.DEFAULT_DEPLOY_ROOT)
    sp.add_argument("--image", action="append", metavar="NAME", help="only these images")
    sp.add_argument(
        "--no-mark",
        action="store_true",
        help="do not tag the images <to>-<tag> in the registry (cleanup may then delete them)",
    )
    sp.add_argument("--dry-run", action="store_true", help="show the changes, write nothing")
    sp.set_defaults(func=commands.cmd_promote)

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
    sp.set_defaults(func=commands.cmd_ci_scope)
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
