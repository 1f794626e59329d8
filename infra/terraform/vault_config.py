"""The Vault objects modules/vault defines (policies, JWT roles, impersonated accounts), rendered
from its HCL for each root and written into a real Vault-API server (OpenBao) by the tests.

Nothing is copied: the policy documents, role names, bound claims, audiences, policies and TTLs
are the module's own expressions with their references resolved. Only a handful of reference
forms occur there, and an unknown one fails loudly rather than being guessed.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import hvac
from tfconfig import MODULES, ROOTS, load_dir, one

VAULT_MODULE = MODULES / "vault"
STATE_MODULE = MODULES / "state"
_REF = re.compile(r"\$\{([^${}]+)\}")
# Terraform meta-arguments and the provider's addressing, not fields of the Vault API request.
_NOT_API_FIELDS = {"for_each", "backend", "role_name", "depends_on"}


def deployed_roots() -> list[str]:
    permissions = json.loads((ROOTS["bootstrap"] / "deployer_permissions.json").read_text())
    return sorted(permissions["roots"])


def module_inputs(repository_id: str) -> dict[str, Any]:
    """modules/vault's variables: what bootstrap passes as literals, else the defaults; the one
    value bootstrap takes from its own variables (github_repository_id) is the test's."""
    variables = load_dir(VAULT_MODULE)["variable"]
    call = load_dir(ROOTS["bootstrap"])["module"]["vault"]
    bootstrap_vars = load_dir(ROOTS["bootstrap"])["variable"]
    values: dict[str, Any] = {}
    for name, spec in variables.items():
        passed = one(call.get(name)) if name in call else None
        if isinstance(passed, str) and "${" not in passed:
            values[name] = passed
        elif passed == f"${{var.{name}}}" and "default" in bootstrap_vars.get(name, {}):
            values[name] = one(bootstrap_vars[name]["default"])
        elif "default" in spec:
            values[name] = one(spec["default"])
    values["github_repository_id"] = repository_id
    return values


def render(value: Any, scope: dict[str, Any]) -> Any:
    if isinstance(value, dict):
        return {render(k, scope): render(v, scope) for k, v in value.items() if k != "__is_block__"}
    if isinstance(value, list):
        return [render(v, scope) for v in value]
    if not isinstance(value, str):
        return value
    whole = _REF.fullmatch(value)
    if whole:
        return _lookup(whole.group(1), scope)
    return _REF.sub(lambda m: str(_lookup(m.group(1), scope)), value)


def _lookup(expr: str, scope: dict[str, Any]) -> Any:
    if expr not in scope:
        raise KeyError(f"reference {expr!r} is not one this test knows how to resolve")
    return scope[expr]


@dataclass(frozen=True)
class RootObjects:
    policies: dict[str, str]  # name -> HCL policy document
    roles: dict[str, dict[str, Any]]  # role name -> API fields
    accounts: list[str]  # impersonated account names


def objects_for(root: str, inputs: dict[str, Any]) -> RootObjects:
    cfg = load_dir(VAULT_MODULE)
    scope: dict[str, Any] = {f"var.{k}": v for k, v in inputs.items()}
    scope["each.key"] = root
    scope["vault_gcp_secret_backend.gcp.path"] = inputs["mount_path"]
    scope["vault_jwt_auth_backend.github.path"] = inputs["github_jwt_path"]
    policies: dict[str, str] = {}
    for (rtype, name), body in cfg["resource"].items():
        if rtype == "vault_policy":
            rendered = render({"name": one(body["name"]), "policy": one(body["policy"])}, scope)
            scope[f"vault_policy.{name}[each.key].name"] = rendered["name"]
            policies[rendered["name"]] = rendered["policy"]
    roles: dict[str, dict[str, Any]] = {}
    for (rtype, _), body in cfg["resource"].items():
        if rtype == "vault_jwt_auth_backend_role":
            name = render(one(body["role_name"]), scope)
            fields = {
                k: v if k in LIST_FIELDS else one(v)
                for k, v in body.items()
                if k not in _NOT_API_FIELDS
            }
            roles[name] = render(fields, scope)
    accounts = [
        render(one(body["account_id"]), scope)
        for path in (VAULT_MODULE, STATE_MODULE)
        for (rtype, _), body in load_dir(path)["resource"].items()
        if rtype == "google_service_account"
    ]
    return RootObjects(policies, roles, accounts)


# python-hcl2 gives list attributes as lists; `one()` would unwrap a one-element list.
LIST_FIELDS = {"bound_audiences", "token_policies"}


def jwt_backend() -> dict[str, Any]:
    body = load_dir(VAULT_MODULE)["resource"][("vault_jwt_auth_backend", "github")]
    return {k: one(v) for k, v in body.items()}


def load_into(
    client: hvac.Client, *, public_pem: str, repository_id: str
) -> dict[str, RootObjects]:
    """Write every root's policies and roles; the JWT method trusts `public_pem` instead of
    GitHub's discovery URL (unreachable here), with the module's own bound_issuer."""
    inputs = module_inputs(repository_id)
    backend = jwt_backend()
    jwt_path = inputs["github_jwt_path"]
    client.sys.enable_auth_method("jwt", path=jwt_path)
    client.write(
        f"auth/{jwt_path}/config",
        jwt_validation_pubkeys=[public_pem],
        bound_issuer=backend["bound_issuer"],
    )
    objects = {root: objects_for(root, inputs) for root in deployed_roots()}
    for root_objects in objects.values():
        for name, document in root_objects.policies.items():
            client.sys.create_or_update_policy(name, document)
        for name, fields in root_objects.roles.items():
            client.write(f"auth/{jwt_path}/role/{name}", **fields)
    return objects
