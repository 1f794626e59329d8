"""The alerting rules with the real promtool: valid, unit-tested, each with a runbook section."""

from __future__ import annotations

import re
import subprocess

import yaml

from keep.monitoring import sources
from keep.monitoring.tools import tool

RUNBOOKS = "docs/runbooks.md"


def _promtool(*args: str) -> str:
    proc = subprocess.run(
        [str(tool("promtool")), *args],
        cwd=sources.monitoring_dir(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def test_promtool_check_rules() -> None:
    out = _promtool("check", "rules", sources.RULES_FILE)
    assert f"SUCCESS: {len(sources.rules())} rules found" in out


def test_promtool_unit_tests_pass() -> None:
    assert "SUCCESS" in _promtool("test", "rules", sources.RULES_TEST_FILE)


def test_every_alert_is_tested_firing_and_silent() -> None:
    tests = yaml.safe_load((sources.monitoring_dir() / sources.RULES_TEST_FILE).read_text())
    fired: set[str] = set()
    silent: set[str] = set()
    for case in tests["tests"]:
        for check in case.get("alert_rule_test", []):
            (fired if check.get("exp_alerts") else silent).add(check["alertname"])
    assert set(sources.alert_names()) == fired, "alerts never shown to fire"
    assert set(sources.alert_names()) == silent, "alerts never shown to stay silent"


def _anchor(heading: str) -> str:
    """GitHub's anchor for a Markdown heading."""
    return re.sub(r"[^a-z0-9 _-]", "", heading.strip().lower()).replace(" ", "-")


def test_every_alert_has_a_runbook_section() -> None:
    text = (sources.repo_root() / RUNBOOKS).read_text()
    anchors = {_anchor(h) for h in re.findall(r"^#+ (.+)$", text, re.MULTILINE)}
    for rule in sources.rules():
        if "alert" not in rule:
            continue
        name = rule["alert"]
        assert rule["annotations"]["runbook"] == f"{RUNBOOKS}#{name.lower()}"
        assert name.lower() in anchors, f"{RUNBOOKS} has no section `## {name}`"
        section = text.split(f"## {name}\n", 1)[1].split("\n## ", 1)[0]
        for part in ("What it means", "Look at", "Do"):
            assert f"**{part}**" in section, f"runbook {name}: no **{part}**"
        assert rule["labels"]["severity"] in ("page", "ticket", "warning")
