"""Deployer permissions and APIs come from one mapping (bootstrap/deployer_permissions.json:
resource type -> API, apply roles, plan roles, source), checked here against the resource types
every root really creates; state access is one account per root, limited to its own prefix."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from tfconfig import DEPLOYED_ROOTS, MODULES, ROOTS, load_dir, module_dirs, one, the

PERMISSIONS: dict[str, Any] = json.loads(
    (ROOTS["bootstrap"] / "deployer_permissions.json").read_text()
)
TYPES: dict[str, Any] = PERMISSIONS["resource_types"]
READ_ONLY_ROLE = re.compile(r"roles/[\w.]+\.(viewer|reader|\w+Viewer|securityReviewer)")


def created_types(root: str) -> tuple[set[str], set[str]]:
    """(types created in the root's own project, types created in another project): a resource
    whose `project` names a variable other than project_id lives elsewhere (the gke module's
    reader binding on the shared repository)."""
    own: set[str] = set()
    elsewhere: set[str] = set()
    for path in module_dirs(ROOTS[root], active_only=True):
        for (rtype, _), body in load_dir(path)["resource"].items():
            project = one(body.get("project", "${var.project_id}"))
            is_own = project in ("${var.project_id}", "${each.value.project}")
            (own if is_own else elsewhere).add(rtype)
    return own, elsewhere


def apply_roles(root: str) -> set[str]:
    """What bootstrap/main.tf's local.apply_roles computes for a root."""
    return {
        role for t in PERMISSIONS["roots"][root]["resource_types"] for role in TYPES[t]["apply"]
    }


@pytest.mark.parametrize("root", DEPLOYED_ROOTS)
def test_the_mapping_lists_exactly_what_each_root_creates(root: str) -> None:
    own, elsewhere = created_types(root)
    entry = PERMISSIONS["roots"][root]
    assert set(entry["resource_types"]) == own
    assert {t for types in entry["elsewhere"].values() for t in types} == elsewhere
    assert own | elsewhere <= set(TYPES), f"not in the mapping: {(own | elsewhere) - set(TYPES)}"


def test_every_mapping_entry_is_used_and_cites_its_source() -> None:
    used = {
        t
        for r in PERMISSIONS["roots"].values()
        for t in r["resource_types"] + [t for ts in r["elsewhere"].values() for t in ts]
    }
    assert used == set(TYPES)
    for rtype, entry in TYPES.items():
        assert entry["source"].startswith("https://cloud.google.com/"), rtype
        assert re.fullmatch(r"[a-z]+\.googleapis\.com", entry["api"]), rtype
        assert entry["apply"] and entry["plan"], rtype


def test_firewall_rules_get_the_security_admin_role() -> None:
    """compute.networkAdmin excludes firewall rules: every root with a firewall needs
    compute.securityAdmin."""
    assert "roles/compute.securityAdmin" in TYPES["google_compute_firewall"]["apply"]
    for root in DEPLOYED_ROOTS:
        if "google_compute_firewall" in created_types(root)[0]:
            assert "roles/compute.securityAdmin" in apply_roles(root), root


def test_plan_roles_are_read_only() -> None:
    for rtype, entry in TYPES.items():
        for role in entry["plan"]:
            assert READ_ONLY_ROLE.fullmatch(role), f"{rtype}: plan role {role} is not read-only"


def test_no_deployer_may_enable_apis_or_own_projects() -> None:
    roles = {role for entry in TYPES.values() for role in entry["apply"] + entry["plan"]}
    assert not {r for r in roles if r.startswith("roles/serviceusage.")}
    assert not roles & {"roles/owner", "roles/editor", "roles/viewer"}


def test_bootstrap_derives_roles_from_the_mapping_only() -> None:
    """No role is written into bootstrap's HCL: every grant comes from the JSON."""
    text = (ROOTS["bootstrap"] / "main.tf").read_text()
    assert 'jsondecode(file("${path.module}/deployer_permissions.json"))' in text
    assert "roles/" not in text
    deployers = one(load_dir(ROOTS["bootstrap"])["module"]["vault"]["deployers"])
    assert "local.apply_roles[name]" in deployers and "local.plan_roles[name]" in deployers


def test_bootstrap_enables_every_api_the_roots_need() -> None:
    services = the(ROOTS["bootstrap"], "google_project_service")
    assert one(services["disable_on_destroy"]) is False
    apis_tf = (ROOTS["bootstrap"] / "apis.tf").read_text()
    # The per-project list is derived from the mapping (the API of each type a root creates).
    assert "local.types[t].api" in apis_tf and "apis_for_every_project" in apis_tf
    for name in ("vault", "state"):
        depends = one(load_dir(ROOTS["bootstrap"])["module"][name]["depends_on"])
        assert depends == "${google_project_service.enabled}", name
    needed = {TYPES[t]["api"] for r in PERMISSIONS["roots"].values() for t in r["resource_types"]}
    assert {"compute.googleapis.com", "container.googleapis.com", "redis.googleapis.com"} <= needed
    assert "iamcredentials.googleapis.com" in PERMISSIONS["apis_for_every_project"]


def test_cross_project_apply_rights_are_on_the_repository_only() -> None:
    """dev/prod bind their nodes as readers of the shared repository: their apply accounts
    administer that one repository (the shared root's repository_admins), not keep-artifacts."""
    admins = one(load_dir(ROOTS["shared"])["module"]["artifact_registry"]["repository_admins"])
    expected = {
        f"serviceAccount:terraform-{root}@{PERMISSIONS['roots'][root]['project']}.iam.gserviceaccount.com"
        for root in DEPLOYED_ROOTS
        if PERMISSIONS["roots"][root]["elsewhere"]
    }
    assert set(admins) == expected


# --------------------------------------------------------------------------- state (A.7)


def _object_prefix_condition(prefix: str) -> str:
    state = load_dir(MODULES / "state")
    template = one(state["locals"]["object_prefix"])
    bucket = one(the(MODULES / "state", "google_storage_bucket")["name"])
    assert bucket == "${var.bucket_name}"
    match = re.search(r'=> "(.*)"', template)
    assert match, template
    return (
        match.group(1)
        .replace("${google_storage_bucket.state.name}", "keep-artifacts-tfstate")
        .replace("${prefix}", prefix)
    )


@pytest.mark.parametrize("root", DEPLOYED_ROOTS)
def test_each_state_account_reaches_its_own_prefix_only(root: str) -> None:
    prefix = PERMISSIONS["roots"][root]["state_prefix"]
    backend = one(one(load_dir(ROOTS[root])["terraform"][0]["backend"]))["gcs"]
    assert one(backend["prefix"]) == prefix
    condition = _object_prefix_condition(prefix)
    assert condition.endswith("/")

    def allowed(name: str) -> bool:
        return name.startswith(condition)

    bucket = "projects/_/buckets/keep-artifacts-tfstate"
    assert allowed(f"{bucket}/objects/{prefix}/default.tfstate")
    assert allowed(f"{bucket}/objects/{prefix}/default.tflock")
    assert not allowed(f"{bucket}/objects/{prefix}-old/default.tfstate")
    assert not allowed(f"{bucket}-anything/objects/{prefix}/default.tfstate")
    for other in set(DEPLOYED_ROOTS) - {root}:
        other_prefix = PERMISSIONS["roots"][other]["state_prefix"]
        assert not allowed(f"{bucket}/objects/{other_prefix}/default.tfstate")


def test_state_grants_use_the_prefix_condition() -> None:
    state = load_dir(MODULES / "state")
    sa = state["resource"][("google_service_account", "state")]
    assert one(sa["for_each"]) == "${var.prefixes}"
    assert one(sa["account_id"]) == "tfstate-${each.key}"
    for name, role in (
        ("state_object_admin", "roles/storage.objectAdmin"),
        ("plan_object_viewer", "roles/storage.objectViewer"),
    ):
        grant = state["resource"][("google_project_iam_member", name)]
        assert one(grant["role"]) == role
        expression = one(one(grant["condition"])["expression"])
        assert expression == 'resource.name.startsWith("${local.object_prefix[each.key]}")'
    prefixes = one(load_dir(ROOTS["bootstrap"])["module"]["state"]["prefixes"])
    assert "r.state_prefix" in prefixes
