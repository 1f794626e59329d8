"""Short-lived GCP OAuth2 access tokens from Vault's GCP secrets engine (via hvac).

Endpoints (Vault GCP secrets engine):
  GET /v1/<mount>/impersonated-account/<name>/token
  GET /v1/<mount>/roleset/<name>/token
  GET /v1/<mount>/static-account/<name>/token
each answering {"data": {"token": "...", "token_ttl": 3599, "expires_at_seconds": 1700000000}}.
"""

from __future__ import annotations

import os
import shlex
from dataclasses import dataclass
from pathlib import Path

import hvac
import hvac.exceptions
import requests

from keep.ops.errors import ExitCode, KeepctlError

KINDS = {
    "impersonated-account": "impersonated account",
    "roleset": "roleset",
    "static-account": "static account",
}
DEFAULT_REGISTRY = "europe-west1-docker.pkg.dev"


@dataclass(frozen=True)
class GcpToken:
    token: str
    ttl_seconds: int | None
    expires_at: int | None


def resolve_vault_token(explicit: str | None) -> str | None:
    """--vault-token, else $VAULT_TOKEN, else ~/.vault-token (what `vault login` writes)."""
    if explicit:
        return explicit
    if os.environ.get("VAULT_TOKEN"):
        return os.environ["VAULT_TOKEN"]
    token_file = Path.home() / ".vault-token"
    if token_file.is_file():
        return token_file.read_text().strip() or None
    return None


def _vault_message(exc: hvac.exceptions.VaultError) -> str:
    errors = getattr(exc, "errors", None) or []
    text = "; ".join(str(e) for e in errors) if errors else str(exc)
    return text.strip() or exc.__class__.__name__


def check_seal_status(client: hvac.Client, addr: str) -> None:
    """sys/seal-status needs no token; answers {"sealed": bool, ...} even when sealed."""
    try:
        status = client.sys.read_seal_status()
    except requests.exceptions.RequestException as exc:
        raise KeepctlError(
            f"cannot reach Vault at {addr}: {exc.__class__.__name__}. Check VAULT_ADDR and the network/VPN.",
            ExitCode.UNAVAILABLE,
        ) from exc
    except hvac.exceptions.VaultError:
        return  # unusual (e.g. a proxy hides sys/); let the real request tell
    if isinstance(status, dict) and status.get("sealed"):
        progress = f" (unseal progress {status.get('progress', 0)}/{status.get('t', '?')})"
        raise KeepctlError(
            f"Vault at {addr} is sealed{progress}. Ask an operator to unseal it "
            "(`vault operator unseal`) and retry.",
            ExitCode.UNAVAILABLE,
        )


def fetch_gcp_token(
    client: hvac.Client,
    *,
    addr: str,
    mount: str,
    kind: str,
    name: str,
) -> GcpToken:
    if kind not in KINDS:
        raise KeepctlError(f"unknown kind {kind!r}; use one of {', '.join(KINDS)}", ExitCode.USAGE)
    if not client.token:
        raise KeepctlError(
            "no Vault token: run `vault login` (writes ~/.vault-token) or set VAULT_TOKEN.",
            ExitCode.AUTH,
        )
    check_seal_status(client, addr)
    path = f"{mount.strip('/')}/{kind}/{name}/token"
    label = f"{KINDS[kind]} {name!r} on mount {mount!r}"
    try:
        response = client.adapter.get(f"/v1/{path}")
    except hvac.exceptions.VaultDown as exc:
        raise KeepctlError(
            f"Vault at {addr} answered 503 (sealed or in standby without a leader): {_vault_message(exc)}. "
            "Retry once it is unsealed.",
            ExitCode.UNAVAILABLE,
        ) from exc
    except (hvac.exceptions.Forbidden, hvac.exceptions.Unauthorized) as exc:
        raise KeepctlError(
            f"Vault refused the request for {path} ({_vault_message(exc)}). Your Vault token is expired, "
            "invalid or lacks a policy that allows reading this path (infra/terraform/bootstrap: "
            "terraform-<root>-apply or terraform-<root>-plan): run `vault login` again or ask for "
            "the policy.",
            ExitCode.AUTH,
        ) from exc
    except hvac.exceptions.InvalidPath as exc:
        raise KeepctlError(
            f"Vault has no {label} (404 at {path}: {_vault_message(exc)}). Check --mount and the name; "
            f"`vault list {mount}/{kind}s` shows what exists (bootstrap root: infra/terraform/bootstrap).",
            ExitCode.NOT_FOUND,
        ) from exc
    except hvac.exceptions.InvalidRequest as exc:
        raise KeepctlError(
            f"Vault rejected the request for {label} (400: {_vault_message(exc)}). "
            "The role/account most likely does not exist or is misconfigured.",
            ExitCode.NOT_FOUND,
        ) from exc
    except hvac.exceptions.VaultError as exc:
        raise KeepctlError(
            f"Vault error for {path}: {_vault_message(exc)}", ExitCode.FAILED
        ) from exc
    except requests.exceptions.RequestException as exc:
        raise KeepctlError(f"cannot reach Vault at {addr}: {exc}", ExitCode.UNAVAILABLE) from exc

    data = response.get("data") if isinstance(response, dict) else None
    if not isinstance(data, dict) or not data.get("token"):
        raise KeepctlError(f"Vault answered {path} without a token: {response!r}", ExitCode.FAILED)
    ttl = data.get("token_ttl")
    expires = data.get("expires_at_seconds")
    return GcpToken(
        token=str(data["token"]),
        ttl_seconds=int(ttl) if ttl is not None else None,
        expires_at=int(expires) if expires is not None else None,
    )


def export_line(token: GcpToken) -> str:
    return f"export GOOGLE_OAUTH_ACCESS_TOKEN={shlex.quote(token.token)}"


def docker_login_hint(registry: str = DEFAULT_REGISTRY) -> str:
    return (
        f'echo "$GOOGLE_OAUTH_ACCESS_TOKEN" | docker login -u oauth2accesstoken '
        f"--password-stdin https://{registry}"
    )
