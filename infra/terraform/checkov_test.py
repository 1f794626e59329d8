"""Policy scan: checkov over all of infra/terraform. Every finding must be fixed, or suppressed
inline with `#checkov:skip=CKV_...:<reason>`.

checkov is not in the shared resolve (its pins, e.g. packaging<24 and boto3==1.35.49, would hold
back the services' dependencies); it runs as a separate executable:
  1. $KEEP_CHECKOV (path to a checkov executable or PEX), else
  2. the PEX Pants builds from the `checkov` resolve (runtime_package_dependencies), else
  3. `checkov` on PATH / next to the running interpreter.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

TF_ROOT = Path(__file__).resolve().parent
PANTS_PEX = Path("infra.terraform") / "checkov.pex"


def find_checkov() -> list[str]:
    env = os.environ.get("KEEP_CHECKOV")
    if env:
        return [env]
    if PANTS_PEX.is_file():
        return [str(PANTS_PEX.resolve())]
    found = shutil.which("checkov") or shutil.which(
        "checkov", path=str(Path(sys.executable).parent)
    )
    if found:
        return [found]
    raise AssertionError(
        "checkov not found: set KEEP_CHECKOV=/path/to/checkov or run via `pants test` "
        "(which builds infra/terraform:checkov from the `checkov` resolve)"
    )


def run_checkov() -> dict[str, Any]:
    cmd = find_checkov() + [
        "--directory",
        str(TF_ROOT),
        "--framework",
        "terraform",
        "--output",
        "json",
        "--skip-download",  # no network: do not fetch guidelines from the vendor's platform
        "--download-external-modules",
        "false",
    ]
    env = dict(os.environ)
    env.pop("BC_API_KEY", None)
    env["LOG_LEVEL"] = "WARNING"
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)
    # exit 1 means "findings"; anything else non-zero is a crash.
    assert proc.returncode in (0, 1), f"checkov crashed ({proc.returncode}): {proc.stderr[-3000:]}"
    report = json.loads(proc.stdout)
    if isinstance(report, list):  # one entry per framework
        (report,) = (r for r in report if r.get("check_type") == "terraform")
    return report


def test_checkov_has_no_unsuppressed_findings() -> None:
    report = run_checkov()
    summary = report["summary"]
    failed = report["results"].get("failed_checks", [])
    details = "\n".join(
        f"{c['check_id']} {c['check_name']} -> {c['resource']} ({c['file_path']}:{c['file_line_range']})"
        for c in failed
    )
    print(
        f"checkov {summary.get('checkov_version')}: passed={summary['passed']} "
        f"failed={summary['failed']} skipped={summary['skipped']} parsing_errors={summary['parsing_errors']}"
    )
    assert summary["parsing_errors"] == 0
    assert summary["passed"] > 50, "checkov scanned suspiciously little"
    assert summary["failed"] == 0, f"unsuppressed checkov findings:\n{details}"
    for skipped in report["results"].get("skipped_checks", []):
        reason = (skipped.get("check_result") or {}).get("suppress_comment", "")
        assert len(reason.strip()) >= 20, f"{skipped['check_id']} skipped without a written reason"
