"""Keep's monitoring sources in deploy/monitoring: the rules, their promtool tests, the Grafana
dashboards, and every PromQL query they hold."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

MONITORING_DIR = Path("deploy/monitoring")
RULES_FILE = "keep.rules.yaml"
RULES_TEST_FILE = "keep.rules.test.yaml"
DASHBOARDS_DIR = "dashboards"


def repo_root() -> Path:
    """$KEEP_REPO_ROOT, else the working directory or a parent holding deploy/monitoring (a Pants
    sandbox has the files at their repo-relative paths)."""
    env = os.environ.get("KEEP_REPO_ROOT")
    cwd = Path.cwd().resolve()
    for candidate in [*([Path(env)] if env else []), cwd, *cwd.parents]:
        if (candidate / MONITORING_DIR / RULES_FILE).is_file():
            return candidate
    raise FileNotFoundError(
        f"no {MONITORING_DIR / RULES_FILE} in {cwd} or its parents: run from the repository root "
        "(under Pants, depend on deploy/monitoring:monitoring)"
    )


def monitoring_dir() -> Path:
    return repo_root() / MONITORING_DIR


def rule_groups() -> list[dict[str, Any]]:
    groups: list[dict[str, Any]] = yaml.safe_load((monitoring_dir() / RULES_FILE).read_text())[
        "groups"
    ]
    return groups


def rules() -> list[dict[str, Any]]:
    return [rule for group in rule_groups() for rule in group["rules"]]


def alert_names() -> list[str]:
    return [r["alert"] for r in rules() if "alert" in r]


def recorded_names() -> set[str]:
    return {r["record"] for r in rules() if "record" in r}


def dashboards() -> dict[str, dict[str, Any]]:
    """file name -> dashboard JSON."""
    return {
        p.name: json.loads(p.read_text())
        for p in sorted((monitoring_dir() / DASHBOARDS_DIR).glob("*.json"))
    }


@dataclass(frozen=True)
class Query:
    where: str  # e.g. "rule KeepStorageFull" or "dashboard keep.json: panel Errors"
    expr: str


def _panels(panels: list[dict[str, Any]]) -> list[dict[str, Any]]:
    found = []
    for panel in panels:
        found.append(panel)
        found += _panels(panel.get("panels", []))  # rows hold their panels when collapsed
    return found


def queries() -> list[Query]:
    found = [Query(f"rule {r.get('alert') or r.get('record')}", r["expr"]) for r in rules()]
    for name, dashboard in dashboards().items():
        for panel in _panels(dashboard.get("panels", [])):
            for target in panel.get("targets", []):
                found.append(Query(f"dashboard {name}: panel {panel['title']}", target["expr"]))
    return found
