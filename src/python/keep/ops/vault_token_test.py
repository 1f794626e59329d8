"""keepctl gcp-token against a local HTTP server answering like Vault's documented API."""

from __future__ import annotations

import io
import socket
from pathlib import Path

import pytest

from keep.ops.cli import main
from keep.ops.errors import ExitCode
from keep.ops.fake_http import FakeServer

UNSEALED = {
    "type": "shamir",
    "initialized": True,
    "sealed": False,
    "t": 3,
    "n": 5,
    "progress": 0,
    "nonce": "",
    "version": "1.17.2",
    "build_date": "2024-07-05T15:19:12Z",
    "migration": False,
    "cluster_name": "vault-cluster-1",
    "cluster_id": "0b2f0c9a",
    "recovery_seal": False,
    "storage_type": "raft",
}
SEALED = {**UNSEALED, "sealed": True, "progress": 1}
TOKEN_RESPONSE = {
    "request_id": "6d8ef1b2-8d1f-4b9a-9d3e-2f1ad3c6a0c1",
    "lease_id": "",
    "renewable": False,
    "lease_duration": 0,
    "data": {
        "expires_at_seconds": 1893456000,
        "token": "ya29.c.fake-access-token",
        "token_ttl": 3599,
    },
    "wrap_info": None,
    "warnings": None,
    "auth": None,
    "mount_type": "gcp",
}
IMPERSONATED = "/v1/gcp/impersonated-account/terraform-dev/token"


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for var in ("VAULT_ADDR", "VAULT_TOKEN", "VAULT_NAMESPACE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.vault-token


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def gcp_token_for_dev(vault: FakeServer, token: str = "t") -> tuple[int, str, str]:
    """`keepctl gcp-token` for the dev deployer account against the fake Vault."""
    return run(
        "gcp-token", "--account", "terraform-dev", "--vault-addr", vault.url, "--vault-token", token
    )


def test_prints_token_and_sends_vault_token() -> None:
    routes = {
        ("GET", "/v1/sys/seal-status"): (200, UNSEALED),
        ("GET", IMPERSONATED): (200, TOKEN_RESPONSE),
    }
    with FakeServer(routes) as vault:
        code, out, err = gcp_token_for_dev(vault, token="hvs.test")
    assert code == ExitCode.OK
    assert out.strip() == "ya29.c.fake-access-token"
    assert "expires at 2030-01-01T00:00:00+00:00 (3599s)" in err
    token_req = [r for r in vault.requests if r.path == IMPERSONATED][0]
    assert token_req.headers["x-vault-token"] == "hvs.test"


def test_export_and_docker_login_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    routes = {
        ("GET", "/v1/sys/seal-status"): (200, UNSEALED),
        ("GET", IMPERSONATED): (200, TOKEN_RESPONSE),
    }
    with FakeServer(routes) as vault:
        monkeypatch.setenv("VAULT_ADDR", vault.url)
        monkeypatch.setenv("VAULT_TOKEN", "hvs.env")
        code, out, err = run("gcp-token", "--account", "terraform-dev", "--export")
    assert code == ExitCode.OK
    assert out.strip() == "export GOOGLE_OAUTH_ACCESS_TOKEN=ya29.c.fake-access-token"
    assert (
        "docker login -u oauth2accesstoken --password-stdin https://europe-west1-docker.pkg.dev"
        in err
    )
    assert vault.requests[-1].headers["x-vault-token"] == "hvs.env"


def test_roleset_and_custom_mount_use_documented_path(tmp_path: Path) -> None:
    (tmp_path / ".vault-token").write_text("hvs.fromfile\n")
    path = "/v1/gcp-prod/roleset/deployer/token"
    routes = {("GET", "/v1/sys/seal-status"): (200, UNSEALED), ("GET", path): (200, TOKEN_RESPONSE)}
    with FakeServer(routes) as vault:
        code, out, _ = run(
            "gcp-token", "--roleset", "deployer", "--mount", "gcp-prod", "--vault-addr", vault.url
        )
    assert code == ExitCode.OK, out
    assert vault.paths()[-1] == path
    assert vault.requests[-1].headers["x-vault-token"] == "hvs.fromfile"


def test_static_account_path() -> None:
    path = "/v1/gcp/static-account/ci/token"
    routes = {("GET", "/v1/sys/seal-status"): (200, UNSEALED), ("GET", path): (200, TOKEN_RESPONSE)}
    with FakeServer(routes) as vault:
        code, _, _ = run(
            "gcp-token", "--static-account", "ci", "--vault-addr", vault.url, "--vault-token", "t"
        )
    assert code == ExitCode.OK
    assert vault.paths()[-1] == path


def test_sealed_vault_is_reported_before_asking_for_a_token() -> None:
    with FakeServer({("GET", "/v1/sys/seal-status"): (200, SEALED)}) as vault:
        code, out, err = gcp_token_for_dev(vault)
    assert code == ExitCode.UNAVAILABLE
    assert out == ""
    assert "is sealed (unseal progress 1/3)" in err and "vault operator unseal" in err
    assert IMPERSONATED not in vault.paths()


def test_503_from_token_endpoint() -> None:
    routes = {
        ("GET", "/v1/sys/seal-status"): (200, UNSEALED),
        ("GET", IMPERSONATED): (503, {"errors": ["Vault is sealed"]}),
    }
    with FakeServer(routes) as vault:
        code, _, err = gcp_token_for_dev(vault)
    assert code == ExitCode.UNAVAILABLE
    assert "503" in err and "Vault is sealed" in err


def test_expired_or_invalid_vault_token() -> None:
    routes = {
        ("GET", "/v1/sys/seal-status"): (200, UNSEALED),
        ("GET", IMPERSONATED): (403, {"errors": ["permission denied"]}),
    }
    with FakeServer(routes) as vault:
        code, out, err = gcp_token_for_dev(vault, token="old")
    assert code == ExitCode.AUTH
    assert out == ""
    assert "permission denied" in err and "vault login" in err and "gcp-terraform-dev" in err


def test_missing_role_404() -> None:
    with FakeServer(
        {("GET", "/v1/sys/seal-status"): (200, UNSEALED)}
    ) as vault:  # unknown path -> 404
        code, _, err = run(
            "gcp-token", "--account", "nope", "--vault-addr", vault.url, "--vault-token", "t"
        )
    assert code == ExitCode.NOT_FOUND
    assert "no impersonated account 'nope'" in err and "vault list gcp/impersonated-accounts" in err


def test_missing_role_400() -> None:
    path = "/v1/gcp/roleset/nope/token"
    routes = {
        ("GET", "/v1/sys/seal-status"): (200, UNSEALED),
        ("GET", path): (400, {"errors": ['role set "nope" does not exists']}),
    }
    with FakeServer(routes) as vault:
        code, _, err = run(
            "gcp-token", "--roleset", "nope", "--vault-addr", vault.url, "--vault-token", "t"
        )
    assert code == ExitCode.NOT_FOUND
    assert 'role set "nope" does not exists' in err


def test_no_vault_token() -> None:
    with FakeServer({("GET", "/v1/sys/seal-status"): (200, UNSEALED)}) as vault:
        code, _, err = run("gcp-token", "--account", "terraform-dev", "--vault-addr", vault.url)
    assert code == ExitCode.AUTH
    assert "vault login" in err
    assert vault.requests == []


def test_no_vault_addr() -> None:
    code, _, err = run("gcp-token", "--account", "terraform-dev", "--vault-token", "t")
    assert code == ExitCode.USAGE
    assert "VAULT_ADDR" in err


def test_unreachable_vault() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    code, _, err = run(
        "gcp-token",
        "--account",
        "terraform-dev",
        "--vault-addr",
        f"http://127.0.0.1:{port}",
        "--vault-token",
        "t",
        "--http-timeout",
        "2",
    )
    assert code == ExitCode.UNAVAILABLE
    assert "cannot reach Vault" in err


def test_response_without_token_is_an_error() -> None:
    routes = {
        ("GET", "/v1/sys/seal-status"): (200, UNSEALED),
        ("GET", IMPERSONATED): (200, {"data": {}}),
    }
    with FakeServer(routes) as vault:
        code, _, err = gcp_token_for_dev(vault)
    assert code == ExitCode.FAILED
    assert "without a token" in err
