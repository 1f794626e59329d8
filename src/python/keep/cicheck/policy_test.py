"""Repository rules for workflows that the generic linters do not enforce."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from keep.cicheck.workflows import Workflow, load, uses_lines

WORKFLOWS = load()
IDS = [w.name for w in WORKFLOWS]
# owner/repo[/path]@<40 hex>  # vX.Y.Z
PINNED = re.compile(
    r"^(-\s+)?uses:\s+[A-Za-z0-9_.-]+/[A-Za-z0-9_./-]+@[0-9a-f]{40}\s+#\s+v\d+\.\d+\.\d+$"
)


@pytest.mark.parametrize("wf", WORKFLOWS, ids=IDS)
def test_every_action_pinned_by_sha_with_version_comment(wf: Workflow) -> None:
    bad = [f"{wf.name}:{n}: {line}" for n, line in uses_lines(wf.text) if not PINNED.match(line)]
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize("wf", WORKFLOWS, ids=IDS)
def test_least_privilege_permissions(wf: Workflow) -> None:
    assert wf.data.get("permissions") == {}, "top level must be `permissions: {}`"
    for job_id, job in wf.jobs.items():
        assert isinstance(job.get("permissions"), dict), f"{job_id}: no job-level permissions"
        assert "write-all" not in str(job["permissions"])


def test_write_permissions_only_where_needed() -> None:
    writes = {
        (wf.name, job_id, scope)
        for wf in WORKFLOWS
        for job_id, job in wf.jobs.items()
        for scope, level in job["permissions"].items()
        if level == "write"
    }
    assert writes == {
        ("release.yml", "publish", "id-token"),
        ("release.yml", "bump-dev", "contents"),
        ("promote.yml", "promote", "contents"),
        ("promote.yml", "promote", "pull-requests"),
        ("promote.yml", "promote", "id-token"),
        ("terraform.yml", "plan", "id-token"),
        ("terraform.yml", "apply", "id-token"),
    }


@pytest.mark.parametrize("wf", WORKFLOWS, ids=IDS)
def test_concurrency(wf: Workflow) -> None:
    conc = wf.data.get("concurrency")
    assert isinstance(conc, dict) and conc.get("group"), "needs a concurrency group"
    if "pull_request" in wf.on:
        assert "pull_request" in str(conc.get("cancel-in-progress")), "PR runs cancel older ones"
    else:
        assert conc.get("cancel-in-progress") is False, "deploying workflows queue, never cancel"


def test_no_long_lived_credentials() -> None:
    for wf in WORKFLOWS:
        assert "credentials_json" not in wf.text
        assert "secrets." not in wf.text, f"{wf.name}: uses a stored secret; OIDC only"


def _by_name(name: str) -> Workflow:
    return next(w for w in WORKFLOWS if w.name == name)


def test_ci_triggers_and_reports() -> None:
    ci = _by_name("ci.yml")
    assert {"pull_request", "push", "schedule"} <= set(ci.on)
    assert ci.data["env"]["PANTS_CONFIG_FILES"] == "pants.ci.toml"
    cache = next(s for s in ci.steps() if "actions/cache@" in str(s.data.get("uses")))
    for path in ("~/.cache/pants/named_caches", "~/.cache/pants/lmdb_store", "~/.pex"):
        assert path in cache.data["with"]["path"]
    assert "3rdparty/python/*.lock" in cache.data["with"]["key"]
    upload = next(s for s in ci.steps() if "upload-artifact@" in str(s.data.get("uses")))
    assert upload.data["if"] == "always()" and upload.data["with"]["path"] == "dist/test/reports"


def test_release_does_not_retrigger_itself() -> None:
    release = _by_name("release.yml")
    assert release.on["push"]["branches"] == ["main"]
    assert "deploy/kustomize/overlays/**" in release.on["push"]["paths-ignore"]
    push = next(s for s in release.steps() if "push-overlay-bump.sh" in str(s.data.get("run")))
    assert "[skip ci]" in push.data["run"]
    # The WIF provider accepts sub == repo:<repo>:ref:refs/heads/main only: no environment here.
    assert "environment" not in release.jobs["publish"]


def test_promote_marks_the_images_in_the_registry_before_the_pull_request() -> None:
    """Cleanup keeps what prod runs only if promotion tagged it prod-<tag> (keep-promoted policy):
    the promote job must reach Artifact Registry through WIF and run the marking promote."""
    promote = _by_name("promote.yml")
    job = promote.jobs["promote"]
    assert job["permissions"].get("id-token") == "write"
    # The WIF provider accepts sub == repo:<repo>:ref:refs/heads/main only: no environment here.
    assert "environment" not in job
    steps = [(str(s.get("uses", "")), str(s.get("run", ""))) for s in job["steps"]]

    def index(pred: Callable[[str, str], bool], what: str) -> int:
        found = [i for i, (uses, run) in enumerate(steps) if pred(uses, run)]
        assert found, f"promote.yml: no step that {what}"
        return found[0]

    auth = index(lambda u, _: u.startswith("google-github-actions/auth@"), "authenticates")
    creds = index(lambda _, r: "gcloud auth configure-docker" in r, "configures docker")
    mark = index(lambda _, r: "release:cli -- promote" in r, "runs keep-release promote")
    pr = index(lambda u, _: u.startswith("peter-evans/create-pull-request@"), "opens the PR")
    assert auth < creds < mark < pr
    assert "--no-mark" not in steps[mark][1] and "--dry-run" not in steps[mark][1]
    assert "--to prod" in steps[mark][1]


def test_terraform_apply_needs_approval_on_main_only() -> None:
    tf = _by_name("terraform.yml")
    apply = tf.jobs["apply"]
    assert apply["environment"] == "production"
    assert "refs/heads/main" in apply["if"] and "push" in apply["if"]
    assert all(
        p.startswith("infra/") or p.endswith("terraform.yml") for p in tf.on["push"]["paths"]
    )


SETUP = "build-support/ci/setup-runner.sh"


@pytest.mark.parametrize("wf", WORKFLOWS, ids=IDS)
def test_every_job_running_pants_runs_the_machine_setup_first(wf: Workflow) -> None:
    """./pants needs the machine setup's packages (e.g. the gRPC plugin) on a fresh runner."""
    problems = []
    for job_id, job in wf.jobs.items():
        runs = [str(step.get("run", "")) for step in job.get("steps") or []]
        first_pants = next((i for i, r in enumerate(runs) if "./pants" in r), None)
        if first_pants is None:
            continue
        if not any(SETUP in r for r in runs[:first_pants]):
            problems.append(f"{job_id}: runs ./pants (step {first_pants}) before {SETUP}")
    assert not problems, "\n".join(problems)


def test_pants_cache_key_is_stable_and_names_the_interpreters() -> None:
    """A key with the commit makes a new cache entry every run (the repository's cache fills and
    evicts); the cached venvs link to exact interpreters, so their versions must be in the key."""
    for wf in WORKFLOWS:
        for step in wf.steps():
            if "actions/cache@" not in str(step.data.get("uses")):
                continue
            key = step.data["with"]["key"]
            assert "github.sha" not in key and "github.run" not in key, f"{step.where}: {key}"
            job = wf.jobs[step.job]
            python_steps = {
                s["id"]
                for s in job["steps"]
                if "actions/setup-python@" in str(s.get("uses")) and "id" in s
            }
            all_setup_python = [
                s for s in job["steps"] if "actions/setup-python@" in str(s.get("uses"))
            ]
            assert python_steps and len(python_steps) == len(
                all_setup_python
            ), f"{step.where}: every setup-python step needs an id for the key"
            for step_id in python_steps:
                assert f"steps.{step_id}.outputs.python-version" in key, f"{step.where}: {step_id}"
            for restore in str(step.data["with"].get("restore-keys", "")).splitlines():
                assert all(
                    f"steps.{i}.outputs.python-version" in restore for i in python_steps
                ), f"{step.where}: restore key {restore} could bring another interpreter's venvs"
