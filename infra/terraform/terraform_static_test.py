"""Static checks of the Terraform code (the Google/Vault providers cannot be installed here, so
`terraform validate/plan` cannot run: these tests parse the HCL with python-hcl2 and assert the
invariants the design relies on)."""

from __future__ import annotations

import ipaddress
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from tfconfig import (
    MODULES,
    ROOTS,
    TF_ROOT,
    all_tf_dirs,
    all_tf_files,
    block,
    load_dir,
    module_dirs,
    one,
    parse_tf,
    resources,
    the,
)

from keep.release import promotion

EXPECTED_MODULES = {
    "network",
    "gke",
    "edge",
    "environment",
    "artifact-registry",
    "memorystore",
    "state",
    "vault",
}
STATE_BUCKET = "keep-artifacts-tfstate"


# --------------------------------------------------------------------------- layout & pins


def test_every_file_parses() -> None:
    files = all_tf_files()
    assert len(files) >= 30
    for tf in files:
        assert isinstance(parse_tf(tf), dict), tf


def test_expected_modules_exist_with_readme() -> None:
    present = {p.name for p in MODULES.iterdir() if p.is_dir()}
    assert present == EXPECTED_MODULES
    for name in present:
        readme = MODULES / name / "README.md"
        assert readme.is_file(), f"{name} has no README.md"
        text = readme.read_text().lower()
        assert "input" in text and "output" in text, f"{name}/README.md must list inputs/outputs"


def _version_constraint_is_bounded(constraint: str) -> bool:
    return (
        "<" in constraint
        or "~>" in constraint
        or re.fullmatch(r"=?\s*\d+\.\d+\.\d+", constraint) is not None
    )


@pytest.mark.parametrize("path", all_tf_dirs(), ids=lambda p: str(p.relative_to(TF_ROOT)))
def test_required_version_and_pinned_providers(path: Path) -> None:
    tf_blocks = load_dir(path)["terraform"]
    assert tf_blocks, f"{path} has no terraform block"
    tf = tf_blocks[0]
    assert _version_constraint_is_bounded(one(tf["required_version"]))
    providers = one(tf["required_providers"])
    used = {t.split("_", 1)[0] for (t, _) in load_dir(path)["resource"]} | {
        t.split("_", 1)[0] for (t, _) in load_dir(path)["data"]
    }
    for provider in used:
        assert (
            provider in providers
        ), f"{path}: provider {provider} used but not in required_providers"
    for name, spec in providers.items():
        spec = one(spec)
        assert spec["source"] == f"hashicorp/{name}"
        assert _version_constraint_is_bounded(spec["version"]), f"{name} not pinned in {path}"


def test_roots_use_gcs_backend_with_distinct_prefixes() -> None:
    prefixes = []
    for name, path in ROOTS.items():
        backend = one(one(load_dir(path)["terraform"][0]["backend"]))
        assert set(backend) == {"gcs"}, f"{name} must use the gcs backend"
        gcs = backend["gcs"]
        assert one(gcs["bucket"]) == STATE_BUCKET
        prefixes.append(one(gcs["prefix"]))
        # Credentials come from the token in GOOGLE_OAUTH_ACCESS_TOKEN: the root's own state
        # account (apply) or its read-only plan account, never one account shared by all roots.
        assert "impersonate_service_account" not in gcs, name
    assert len(set(prefixes)) == len(prefixes)


def test_every_module_is_used_by_a_root() -> None:
    used: set[str] = set()
    for path in ROOTS.values():
        for target in module_dirs(path)[1:]:
            assert target.is_dir(), f"{target} does not exist"
            assert target.parent == MODULES.resolve()
            used.add(target.name)
    assert used == EXPECTED_MODULES


def test_module_arguments_are_declared_variables() -> None:
    for root in ROOTS.values():
        for path in module_dirs(root):
            for name, mod in load_dir(path)["module"].items():
                target = (path / one(mod["source"])).resolve()
                declared = set(load_dir(target)["variable"])
                passed = {
                    k
                    for k in mod
                    if not k.startswith("__") and k not in {"source", "depends_on", "for_each"}
                }
                assert passed <= declared, f"{path.name}/{name}: unknown {passed - declared}"
                required = {
                    v for v, body in load_dir(target)["variable"].items() if "default" not in body
                }
                assert required <= passed, f"{path.name}/{name}: missing {required - passed}"


def test_terraform_fmt_clean() -> None:
    terraform = shutil.which("terraform")
    assert terraform is not None, "terraform must be on PATH (this machine: /usr/local/bin)"
    proc = subprocess.run(
        [terraform, "fmt", "-check", "-recursive", "-list=true", str(TF_ROOT)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, f"not fmt-clean: {proc.stdout}{proc.stderr}"


# --------------------------------------------------------------------------- credentials


def test_no_long_lived_keys_anywhere() -> None:
    for tf in all_tf_files():
        text = tf.read_text()
        assert "google_service_account_key" not in text, tf
        assert not re.search(r"\bcredentials\s*=", text), f"{tf}: no credentials/key files"
        for ref in re.findall(r"[\w./-]+\.json", text):
            assert ref.endswith("deployer_permissions.json"), f"{tf}: {ref} looks like a key file"
        assert not re.search(r'"roles/(owner|editor|viewer)"', text), f"{tf}: primitive role"


@pytest.mark.parametrize("root", ["shared", "dev", "prod"])
def test_google_provider_uses_vault_issued_token(root: str) -> None:
    cfg = load_dir(ROOTS[root])
    google = one(cfg["provider"]["google"])
    token = one(google["access_token"])
    match = re.fullmatch(r'\$\{data\.vault_generic_secret\.(\w+)\.data\["token"\]\}', token)
    assert match, f"{root}: google provider must take access_token from Vault, got {token!r}"
    data = cfg["data"][("vault_generic_secret", match.group(1))]
    assert one(data["path"]) == "gcp/impersonated-account/${var.deployer_account}/token"
    # The account is this root's apply account or its read-only plan account, nothing else.
    validation = one(cfg["variable"]["deployer_account"]["validation"])
    assert f'["terraform-{root}", "terraform-{root}-plan"]' in one(validation["condition"])
    assert one(cfg["variable"]["deployer_account"]["default"]) == f"terraform-{root}"
    assert "vault" in cfg["provider"]
    for forbidden in ("credentials", "impersonate_service_account"):
        assert forbidden not in google


def test_vault_side_is_its_own_root() -> None:
    cfg = load_dir(ROOTS["bootstrap"])
    assert one(cfg["module"]["vault"]["source"]) == "../modules/vault"
    assert (ROOTS["bootstrap"] / "README.md").is_file()
    assert "vault server -dev" in (ROOTS["bootstrap"] / "README.md").read_text()


def test_vault_module_engine_and_impersonation() -> None:
    path = MODULES / "vault"
    backend = the(path, "vault_gcp_secret_backend")
    assert "credentials" not in backend, "engine must use Vault's ADC, not a JSON key"
    assert one(backend["max_lease_ttl_seconds"]) == "${var.token_ttl_seconds}"
    assert one(load_dir(path)["variable"]["token_ttl_seconds"]["default"]) <= 3600
    account = the(path, "vault_gcp_secret_impersonated_account")
    assert one(account["token_scopes"]) == "https://www.googleapis.com/auth/cloud-platform"
    assert one(account["for_each"]) == "${local.accounts}"
    creator = the(path, "google_service_account_iam_member")
    assert one(creator["for_each"]) == "${local.accounts}"
    assert one(creator["role"]) == "roles/iam.serviceAccountTokenCreator"
    assert one(creator["member"]) == "${var.vault_principal}"


def test_the_workflow_uses_the_per_root_vault_roles() -> None:
    workflow = (TF_ROOT.parents[1] / ".github" / "workflows" / "terraform.yml").read_text()
    for mode in ("plan", "apply"):
        assert f"role: keep-terraform-{mode}-${{{{ matrix.root }}}}" in workflow, mode
    assert "jwtGithubAudience: https://github.com/keep-dev" in workflow


def test_deployers_match_env_roots() -> None:
    permissions = json.loads((ROOTS["bootstrap"] / "deployer_permissions.json").read_text())
    assert set(permissions["roots"]) == set(ROOTS) - {"bootstrap"}


# --------------------------------------------------------------------------- network


def test_network_secondary_ranges_and_nat() -> None:
    path = MODULES / "network"
    vpc = the(path, "google_compute_network")
    assert one(vpc["auto_create_subnetworks"]) is False
    subnet = the(path, "google_compute_subnetwork")
    ranges = subnet["secondary_ip_range"]
    names = {one(r["range_name"]) for r in ranges}
    assert names == {"${local.pods_range_name}", "${local.services_range_name}"}
    assert one(subnet["private_ip_google_access"]) is True
    router = the(path, "google_compute_router")
    nat = the(path, "google_compute_router_nat")
    assert one(nat["router"]) == "${google_compute_router.router.name}"
    assert one(router["network"]) == "${google_compute_network.vpc.id}"
    assert one(one(nat["subnetwork"])["name"]) == "${google_compute_subnetwork.nodes.id}"


def _environment(env: str) -> dict[str, Any]:
    module: dict[str, Any] = load_dir(ROOTS[env])["module"]["environment"]
    return module


def test_env_cidrs_do_not_overlap() -> None:
    nets: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
    for env in ("dev", "prod"):
        cidrs = one(_environment(env)["cidrs"])
        assert set(cidrs) == {"nodes", "pods", "services", "master"}
        nets.extend(ipaddress.ip_network(c) for c in cidrs.values())
        assert ipaddress.ip_network(cidrs["master"]).prefixlen == 28
    memorystore = one(_environment("prod")["memorystore"])
    nets.append(ipaddress.ip_network(memorystore["reserved_ip_range"]))
    for i, a in enumerate(nets):
        for b in nets[i + 1 :]:
            assert not a.overlaps(b), f"{a} overlaps {b}"


# --------------------------------------------------------------------------- gke


def test_gke_cluster_invariants() -> None:
    path = MODULES / "gke"
    cluster = the(path, "google_container_cluster")
    assert one(cluster["remove_default_node_pool"]) is True
    assert one(cluster["location"]) == "${var.region}"
    policy = block(cluster, "ip_allocation_policy")
    assert one(policy["cluster_secondary_range_name"]) == "${var.pods_range_name}"
    assert one(policy["services_secondary_range_name"]) == "${var.services_range_name}"
    private = block(cluster, "private_cluster_config")
    assert one(private["enable_private_nodes"]) is True
    wi = block(cluster, "workload_identity_config")
    assert one(wi["workload_pool"]) == "${var.project_id}.svc.id.goog"
    assert one(cluster["enable_shielded_nodes"]) is True
    assert one(block(cluster, "release_channel")["channel"]) == "${var.release_channel}"
    assert one(cluster["enable_legacy_abac"]) is False
    cert = block(block(cluster, "master_auth"), "client_certificate_config")
    assert one(cert["issue_client_certificate"]) is False


def test_env_roots_only_call_the_environment_module() -> None:
    for env in ("dev", "prod"):
        cfg = load_dir(ROOTS[env])
        assert set(cfg["module"]) == {"environment"}
        assert one(_environment(env)["env"]) == env
        assert one(_environment(env)["region"]) == "europe-west1"
        assert cfg["resource"] == {}
    gke = load_dir(MODULES / "environment")["module"]["gke"]
    assert one(gke["region"]) == "${var.region}"


def test_gke_separate_node_pool() -> None:
    path = MODULES / "gke"
    pool = the(path, "google_container_node_pool")
    assert one(pool["cluster"]) == "${google_container_cluster.this.name}"
    mgmt = block(pool, "management")
    assert one(mgmt["auto_repair"]) is True and one(mgmt["auto_upgrade"]) is True
    node = block(pool, "node_config")
    assert one(node["service_account"]) == "${google_service_account.nodes.email}"
    assert one(block(node, "workload_metadata_config")["mode"]) == "GKE_METADATA"
    shielded = block(node, "shielded_instance_config")
    assert one(shielded["enable_secure_boot"]) is True
    assert one(shielded["enable_integrity_monitoring"]) is True


def test_gke_managed_prometheus_collects() -> None:
    # The overlays scrape with GMP PodMonitorings (deploy/kustomize/components/monitoring-gmp).
    cluster = the(MODULES / "gke", "google_container_cluster")
    monitoring = block(cluster, "monitoring_config")
    assert one(block(monitoring, "managed_prometheus")["enabled"]) is True


def test_gke_node_service_account_least_privilege() -> None:
    path = MODULES / "gke"
    text = (path / "main.tf").read_text()
    roles = set(re.findall(r'"(roles/[\w.]+)"', text))
    assert {"roles/logging.logWriter", "roles/monitoring.metricWriter"} <= roles
    assert roles <= {
        "roles/logging.logWriter",
        "roles/monitoring.metricWriter",
        "roles/monitoring.viewer",
        "roles/stackdriver.resourceMetadata.writer",
        "roles/autoscaling.metricsWriter",
        "roles/artifactregistry.reader",
    }
    pull = the(path, "google_artifact_registry_repository_iam_member")
    assert one(pull["role"]) == "roles/artifactregistry.reader"
    assert one(pull["repository"]) == "${var.artifact_registry_repository}"
    assert one(pull["member"]) == "serviceAccount:${google_service_account.nodes.email}"
    assert (
        one(load_dir(path)["variable"]["artifact_registry_project"]["default"]) == "keep-artifacts"
    )


# --------------------------------------------------------------------------- edge


def test_edge_static_ip_names() -> None:
    addr = the(MODULES / "edge", "google_compute_global_address")
    assert one(addr["name"]) == "${var.name}"
    edge = load_dir(MODULES / "environment")["module"]["edge"]
    assert one(edge["name"]) == "keep-${var.env}-ip"


# --------------------------------------------------------------------------- artifact registry


def test_artifact_registry_repo_and_cleanup() -> None:
    repo = the(MODULES / "artifact-registry", "google_artifact_registry_repository")
    assert one(repo["format"]) == "DOCKER"
    assert one(repo["cleanup_policy_dry_run"]) is False
    actions = {one(p["action"]) for p in repo["cleanup_policies"]}
    assert actions == {"KEEP", "DELETE"}
    shared = load_dir(ROOTS["shared"])["module"]["artifact_registry"]
    assert one(shared["project_id"]) == "keep-artifacts"
    assert one(shared["repository_id"]) == "keep"
    assert one(shared["location"]) == "europe-west1"


def test_cleanup_keeps_every_promoted_image() -> None:
    """A.12: the 90-day DELETE must not reach what prod runs. Promotion tags each image it
    promotes `prod-<tag>` (keep.release.promotion); a KEEP policy matching that prefix, with no
    age, package or version limit, exempts those versions: Artifact Registry applies KEEP over
    DELETE whenever both match (cleanup-policy-overview: "When an artifact matches the criteria for
    both a delete policy and a keep policy, the artifact is kept")."""
    path = MODULES / "artifact-registry"
    repo = the(path, "google_artifact_registry_repository")
    prefix = one(load_dir(path)["variable"]["promotion_tag_prefix"]["default"])
    assert promotion.marker_tag("prod", "0" * 64).startswith(prefix)
    policies = repo["cleanup_policies"]
    keeps = [
        p
        for p in policies
        if one(p["action"]) == "KEEP"
        and "condition" in p
        and one(block(p, "condition").get("tag_prefixes")) == "${var.promotion_tag_prefix}"
    ]
    assert len(keeps) == 1, "no KEEP policy for the promotion marker tag"
    condition = block(keeps[0], "condition")
    assert one(condition["tag_state"]) == "TAGGED"
    # Any further condition would let an old or oddly named promoted image fall out of the policy.
    assert set(condition) == {"tag_state", "tag_prefixes"}
    # Listed before the deletes, so readers see the exemption first (AR's precedence is by action).
    ids = [one(p["id"]) for p in policies]
    first_delete = min(i for i, p in enumerate(policies) if one(p["action"]) == "DELETE")
    assert ids.index(one(keeps[0]["id"])) < first_delete
    # The workflow's marker pushes need tag create rights: the CI writer role has them.
    writer = resources(path, "google_artifact_registry_repository_iam_member")["ci_push_writer"]
    assert one(writer["role"]) == "roles/artifactregistry.writer"


def test_ci_push_via_workload_identity_federation() -> None:
    path = MODULES / "artifact-registry"
    provider = the(path, "google_iam_workload_identity_pool_provider")
    assert one(provider["attribute_condition"]) == (
        "assertion.repository_id == '${var.github_repository_id}' && "
        "assertion.repository == '${var.github_repository}' && "
        "assertion.sub == 'repo:${var.github_repository}:ref:${var.push_ref}'"
    )
    assert (
        one(block(provider, "oidc")["issuer_uri"]) == "https://token.actions.githubusercontent.com"
    )
    shared = load_dir(ROOTS["shared"])["module"]["artifact_registry"]
    assert one(shared["github_repository"]) == "keep-dev/keep"
    assert one(shared["github_repository_id"]) == "${var.github_repository_id}"
    wif = resources(path, "google_service_account_iam_member")["ci_push_wif"]
    assert one(wif["role"]) == "roles/iam.workloadIdentityUser"
    assert one(wif["member"]).endswith("/attribute.repository_id/${var.github_repository_id}")
    assert one(wif["member"]).startswith("principalSet://iam.googleapis.com/")
    writer = resources(path, "google_artifact_registry_repository_iam_member")["ci_push_writer"]
    assert one(writer["role"]) == "roles/artifactregistry.writer"


# --------------------------------------------------------------------------- memorystore


def test_memorystore_prod_only_hardened_and_persistent() -> None:
    redis = the(MODULES / "memorystore", "google_redis_instance")
    assert one(redis["tier"]) == "STANDARD_HA"
    assert one(redis["auth_enabled"]) is True
    assert one(redis["transit_encryption_mode"]) == "SERVER_AUTHENTICATION"
    persistence = block(redis, "persistence_config")
    assert one(persistence["persistence_mode"]) == "RDB"
    assert one(persistence["rdb_snapshot_period"]) == "${var.rdb_snapshot_period}"
    assert "memorystore" in _environment("prod")
    assert "memorystore" not in _environment("dev")


# --------------------------------------------------------------------------- state


def test_prod_network_policy_allows_exactly_the_memorystore_range() -> None:
    reserved = one(_environment("prod")["memorystore"])["reserved_ip_range"]
    patch = TF_ROOT.parents[1] / "deploy/kustomize/overlays/prod/app/patches/memorystore-cidr.yaml"
    assert f"cidr: {reserved}" in patch.read_text()


def test_state_bucket_settings() -> None:
    bucket = the(MODULES / "state", "google_storage_bucket")
    assert one(block(bucket, "versioning")["enabled"]) is True
    assert one(bucket["uniform_bucket_level_access"]) is True
    assert one(bucket["public_access_prevention"]) == "enforced"
    assert one(bucket["force_destroy"]) is False
    assert one(block(bucket, "lifecycle")["prevent_destroy"]) is True


def test_bootstrap_adopts_the_keepctl_bucket() -> None:
    cfg = load_dir(ROOTS["bootstrap"])
    imports = cfg["import"]
    assert len(imports) == 1
    assert one(imports[0]["to"]) == "${module.state.google_storage_bucket.state}"
    assert one(imports[0]["id"]) == STATE_BUCKET
    assert one(cfg["module"]["state"]["bucket_name"]) == "${local.state_bucket}"
    assert re.search(
        rf'state_bucket\s*=\s*"{STATE_BUCKET}"', (ROOTS["bootstrap"] / "main.tf").read_text()
    )


# --------------------------------------------------------------------------- checkov hygiene


def test_checkov_skips_carry_a_reason() -> None:
    pattern = re.compile(r"#\s*checkov:skip=([A-Z0-9_]+)(?::(.*))?")
    count = 0
    for tf in all_tf_files():
        for match in pattern.finditer(tf.read_text()):
            count += 1
            assert re.fullmatch(r"CKV2?_[A-Z]+_\d+", match.group(1)), match.group(0)
            reason = (match.group(2) or "").strip()
            assert len(reason) >= 20, f"{tf}: skip of {match.group(1)} needs a written reason"
    assert count > 0
