"""Generic Kubernetes hygiene of the rendered overlays, by checkov's kubernetes framework (no
privilege, no root, capabilities dropped, read-only root filesystem, seccomp, no host namespaces,
no service account token, probes and requests/limits present, images pinned by digest, ...).

Every finding is either fixed or explained where the object is written: a
`checkov.io/skip<N>: "CKV_K8S_<id>=<reason>"` annotation on the workload (checkov reports it as
skipped with the reason). Keep's own contract checks stay in workloads/network/edge/images.

checkov is not in the shared resolve (its pins would hold back the services' dependencies): it
runs as the PEX Pants builds from the `checkov` resolve (infra/terraform:checkov, a
runtime_package_dependency of the tests), or $KEEP_CHECKOV.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from keep.deploycheck.objects import Obj
from keep.deploycheck.render import DeployCheckError

PANTS_PEX = Path("infra.terraform") / "checkov.pex"


@dataclass(frozen=True)
class Finding:
    check_id: str
    resource: str  # <Kind>.<namespace>.<name>
    reason: str  # the suppress comment of a skipped check; "" for a failure
    source: str  # which of the scanned object sets (e.g. the overlay)


@dataclass(frozen=True)
class Scan:
    passed: int
    failed: tuple[Finding, ...]
    skipped: tuple[Finding, ...]
    parsing_errors: int


def checkov_command() -> list[str]:
    explicit = os.environ.get("KEEP_CHECKOV")
    if explicit:
        return [explicit]
    if PANTS_PEX.is_file():
        return [sys.executable, str(PANTS_PEX.resolve())]
    raise DeployCheckError(
        "checkov not found: set KEEP_CHECKOV=/path/to/checkov or run under `pants test` (which "
        "builds infra/terraform:checkov from the `checkov` resolve)"
    )


def scan(sets: Mapping[str, Sequence[Obj]]) -> Scan:
    """One checkov run over several object sets (checkov's start-up dominates: one run for all
    overlays), each written to <name>.yaml; findings say which set they come from."""
    with tempfile.TemporaryDirectory(prefix="keep-checkov-") as tmp:
        for name, objs in sets.items():
            (Path(tmp) / f"{name}.yaml").write_text(yaml.safe_dump_all(list(objs)))
        cmd = [
            *checkov_command(),
            *("--directory", tmp, "--framework", "kubernetes", "--output", "json"),
            "--skip-download",  # offline: no guidelines from the vendor's platform
        ]
        env = {k: v for k, v in os.environ.items() if k != "BC_API_KEY"}
        env["LOG_LEVEL"] = "WARNING"
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)
    # exit 1 means "findings"; anything else non-zero is a crash.
    if proc.returncode not in (0, 1):
        raise DeployCheckError(f"checkov crashed ({proc.returncode}): {proc.stderr[-3000:]}")
    parsed: Any = json.loads(proc.stdout)
    if isinstance(parsed, list):
        (parsed,) = (r for r in parsed if r.get("check_type") == "kubernetes")
    results, summary = parsed["results"], parsed["summary"]

    def findings(key: str) -> tuple[Finding, ...]:
        return tuple(
            Finding(
                c["check_id"],
                c["resource"],
                (c.get("check_result") or {}).get("suppress_comment", "") or "",
                Path(c.get("file_path", "")).stem,
            )
            for c in results.get(key, [])
        )

    return Scan(
        passed=int(summary["passed"]),
        failed=findings("failed_checks"),
        skipped=findings("skipped_checks"),
        parsing_errors=int(summary["parsing_errors"]),
    )
