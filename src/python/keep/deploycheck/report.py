"""Print, per overlay, the objects and images it deploys and the Secrets it expects to exist.

python -m keep.deploycheck.report            # from the repository root (PYTHONPATH=src/python)
./pants run src/python/keep/deploycheck:report
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter

from keep.deploycheck import images, scaling, workloads
from keep.deploycheck.render import DeployCheckError, object_id, overlays, render_overlay, repo_root


def report(envs: list[str]) -> str:
    lines = []
    for env in envs:
        objs = render_overlay(env)
        kinds = Counter(o["kind"] for o in objs)
        lines.append(
            f"== overlay {env}: {len(objs)} objects ({', '.join(f'{n} {k}' for k, n in sorted(kinds.items()))})"
        )
        for o in sorted(
            objs,
            key=lambda o: (o["metadata"].get("namespace") or "", o["kind"], o["metadata"]["name"]),
        ):
            lines.append(f"  {o['apiVersion']:<28} {object_id(o)}")
        lines.append("  images:")
        lines += [f"    {image}" for image in images.images(objs)]
        lines.append("  secrets to create out of band (namespace/name#key):")
        lines += [f"    {ref}" for ref in sorted(workloads.secret_refs(objs))]
        summary = scaling.scaling_summary(objs)
        if summary:
            lines.append("  scaling (HPA min-max, pods kept by PDB):")
            lines += [
                f"    {n}: {s['min']}-{s['max']}, {s['guaranteed']}"
                for n, s in sorted(summary.items())
            ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("overlay", nargs="*", help="overlays to report (default: all)")
    args = parser.parse_args(argv)
    try:
        envs = args.overlay or overlays(repo_root())
        print(report(envs))
    except DeployCheckError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
