"""Who can log in to which Vault role and read which token path: modules/vault's policies and
JWT roles (rendered from the HCL, not copied) loaded into a real OpenBao server, exercised with
GitHub-shaped OIDC tokens signed by a test key.

OpenBao has no GCP secrets engine; KV version 1 is mounted at the engine's path `gcp/` and
answers `impersonated-account/<name>/token` in the engine's shape, so the policies' paths are
the real ones.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import hvac
import hvac.exceptions
import pytest
from tfconfig import DEPLOYED_ROOTS, ROOTS, load_dir, one
from vault_config import RootObjects, jwt_backend, load_into, module_inputs

from keep.testing.github_oidc import GitHubIssuer
from keep.testing.openbao import OpenBao, dev_server, gcp_token, serve_gcp_tokens

REPOSITORY = "keep-dev/keep"
REPOSITORY_ID = "872361845"


@dataclass
class Setup:
    bao: OpenBao
    issuer: GitHubIssuer
    objects: dict[str, RootObjects]
    jwt_path: str
    audience: str
    mount: str


@pytest.fixture(scope="module")
def vault() -> Iterator[Setup]:
    issuer = GitHubIssuer()
    inputs = module_inputs(REPOSITORY_ID)
    with dev_server() as bao:
        root = bao.client()
        objects = load_into(root, public_pem=issuer.public_pem(), repository_id=REPOSITORY_ID)
        accounts = sorted({a for o in objects.values() for a in o.accounts})
        serve_gcp_tokens(
            root,
            inputs["mount_path"],
            {f"impersonated-account/{a}/token": gcp_token(f"ya29.{a}") for a in accounts},
        )
        yield Setup(
            bao,
            issuer,
            objects,
            inputs["github_jwt_path"],
            inputs["github_audience"],
            inputs["mount_path"],
        )


def login(setup: Setup, role: str, **claims: str | None) -> hvac.Client:
    token = setup.issuer.token(
        repository=str(claims.pop("repository", REPOSITORY)),
        repository_id=str(claims.pop("repository_id", REPOSITORY_ID)),
        audience=str(claims.pop("audience", setup.audience)),
        **claims,  # type: ignore[arg-type]
    )
    client = setup.bao.client(token=None)
    client.auth.jwt.jwt_login(role=role, jwt=token, path=setup.jwt_path)
    return client


def read_token(setup: Setup, client: hvac.Client, account: str) -> str:
    response = client.read(f"{setup.mount}/impersonated-account/{account}/token")
    return str(response["data"]["token"])


PULL_REQUEST = {"ref": "refs/pull/7/merge", "event_name": "pull_request"}
MAIN_PUSH = {"ref": "refs/heads/main", "event_name": "push"}
MAIN_PRODUCTION = {**MAIN_PUSH, "environment": "production"}


def test_every_root_has_a_plan_and_an_apply_role(vault: Setup) -> None:
    for root in DEPLOYED_ROOTS:
        assert set(vault.objects[root].roles) == {
            f"keep-terraform-plan-{root}",
            f"keep-terraform-apply-{root}",
        }


@pytest.mark.parametrize("root", DEPLOYED_ROOTS)
def test_a_pull_request_plans_with_the_read_only_account_only(vault: Setup, root: str) -> None:
    client = login(vault, f"keep-terraform-plan-{root}", **PULL_REQUEST)
    assert read_token(vault, client, f"terraform-{root}-plan") == f"ya29.terraform-{root}-plan"
    for other in (f"terraform-{root}", f"tfstate-{root}", "terraform-prod", "tfstate-prod"):
        with pytest.raises(hvac.exceptions.Forbidden):
            read_token(vault, client, other)


@pytest.mark.parametrize(
    "claims",
    [
        PULL_REQUEST,
        # A pull request whose job names the environment: sub says environment, ref does not.
        {**PULL_REQUEST, "environment": "production"},
        # main without the environment (no approval).
        MAIN_PUSH,
        # another branch through the environment.
        {"ref": "refs/heads/feature", "event_name": "push", "environment": "production"},
    ],
    ids=["pull-request", "pull-request-in-production-env", "main-without-env", "branch-in-env"],
)
def test_only_main_in_production_may_log_in_to_apply(vault: Setup, claims: dict[str, str]) -> None:
    with pytest.raises(hvac.exceptions.InvalidRequest):
        login(vault, "keep-terraform-apply-prod", **claims)


def test_main_in_production_gets_the_roots_apply_and_state_accounts(vault: Setup) -> None:
    client = login(vault, "keep-terraform-apply-prod", **MAIN_PRODUCTION)
    assert read_token(vault, client, "terraform-prod") == "ya29.terraform-prod"
    assert read_token(vault, client, "tfstate-prod") == "ya29.tfstate-prod"
    for other in ("terraform-dev", "tfstate-dev", "terraform-shared"):
        with pytest.raises(hvac.exceptions.Forbidden):
            read_token(vault, client, other)


@pytest.mark.parametrize(
    "claims",
    [
        {"repository": "evil/keep", "repository_id": "1"},
        # the same name, recreated: a new numeric id
        {"repository_id": "999"},
        {"audience": "sigstore"},
    ],
    ids=["other-repository", "recreated-repository", "wrong-audience"],
)
def test_other_repositories_and_audiences_are_refused(vault: Setup, claims: dict[str, str]) -> None:
    with pytest.raises(hvac.exceptions.InvalidRequest):
        login(vault, "keep-terraform-plan-dev", **{**MAIN_PUSH, **claims})


def test_a_token_from_another_key_is_refused(vault: Setup) -> None:
    forged = GitHubIssuer().token(
        repository=REPOSITORY,
        repository_id=REPOSITORY_ID,
        audience=vault.audience,
        **MAIN_PRODUCTION,
    )
    with pytest.raises(hvac.exceptions.InvalidRequest):
        vault.bao.client(token=None).auth.jwt.jwt_login(
            role="keep-terraform-apply-prod", jwt=forged, path=vault.jwt_path
        )


# --------------------------------------------------------------------------- A.3: the provider


@pytest.mark.parametrize("mode", ["plan", "apply"])
def test_the_terraform_token_does_what_the_provider_needs_and_no_more(
    vault: Setup, mode: str
) -> None:
    """hashicorp/vault 4.x with skip_child_token: looks its token up (default policy), then
    reads the data source's path. A child token (auth/token/create) is refused, so the roots
    must set skip_child_token."""
    claims = MAIN_PRODUCTION if mode == "apply" else PULL_REQUEST
    client = login(vault, f"keep-terraform-{mode}-dev", **claims)
    assert client.auth.token.lookup_self()["data"]["ttl"] > 0
    account = "terraform-dev" if mode == "apply" else "terraform-dev-plan"
    assert read_token(vault, client, account) == f"ya29.{account}"
    with pytest.raises(hvac.exceptions.Forbidden):
        client.auth.token.create(ttl="20m")


@pytest.mark.parametrize("root", DEPLOYED_ROOTS)
def test_every_deployed_root_skips_the_child_token(root: str) -> None:
    vault_provider = one(load_dir(ROOTS[root])["provider"]["vault"])
    assert one(vault_provider.get("skip_child_token")) is True, root


def test_the_jwt_method_trusts_githubs_issuer() -> None:
    backend = jwt_backend()
    assert backend["oidc_discovery_url"] == "https://token.actions.githubusercontent.com"
    assert backend["bound_issuer"] == "https://token.actions.githubusercontent.com"
