"""keepctl gcp-token against a real Vault-API server: OpenBao (`bao server -dev`).

OpenBao has no GCP secrets engine, so KV version 1 is mounted at the engine's path and answers
`<mount>/impersonated-account/<name>/token` with the engine's response shape
(keep.testing.openbao.serve_gcp_tokens). Tokens, policies, permission errors, 404s, the seal
status and connection failures are the real server's. The one answer KV cannot give, the engine's
400 for an unknown roleset, comes from a pytest-httpserver stand-in.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from keep.devstack.ports import free_port
from keep.ops.cli import main
from keep.ops.errors import ExitCode
from keep.testing.openbao import OpenBao, dev_server, gcp_token, serve_gcp_tokens

DEV_PATH = "impersonated-account/terraform-dev/token"
ACCESS_TOKEN = "ya29.c.test-access-token"


@pytest.fixture(scope="module")
def vault() -> Iterator[OpenBao]:
    with dev_server() as bao:
        root = bao.client()
        serve_gcp_tokens(
            root,
            "gcp",
            {
                DEV_PATH: gcp_token(ACCESS_TOKEN),
                "static-account/ci/token": gcp_token("ya29.static"),
                "impersonated-account/broken/token": {"token_ttl": 10},
            },
        )
        serve_gcp_tokens(root, "gcp-prod", {"roleset/deployer/token": gcp_token("ya29.roleset")})
        root.sys.create_or_update_policy(
            "terraform-dev-apply", f'path "gcp/{DEV_PATH}" {{ capabilities = ["read"] }}'
        )
        yield bao


def token_with(vault: OpenBao, *policies: str) -> str:
    created = vault.client().auth.token.create(policies=list(policies) or ["default"], ttl="10m")
    return str(created["auth"]["client_token"])


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for var in ("VAULT_ADDR", "VAULT_TOKEN", "VAULT_NAMESPACE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.vault-token


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def gcp_token_for_dev(addr: str, token: str) -> tuple[int, str, str]:
    return run(
        "gcp-token", "--account", "terraform-dev", "--vault-addr", addr, "--vault-token", token
    )


def test_prints_the_token_a_policy_allows(vault: OpenBao) -> None:
    code, out, err = gcp_token_for_dev(vault.addr, token_with(vault, "terraform-dev-apply"))
    assert code == ExitCode.OK, err
    assert out.strip() == ACCESS_TOKEN
    assert "expires at 2030-01-01T00:00:00+00:00 (3599s)" in err


def test_export_and_docker_login_hint(vault: OpenBao, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VAULT_ADDR", vault.addr)
    monkeypatch.setenv("VAULT_TOKEN", token_with(vault, "terraform-dev-apply"))
    code, out, err = run("gcp-token", "--account", "terraform-dev", "--export")
    assert code == ExitCode.OK, err
    assert out.strip() == f"export GOOGLE_OAUTH_ACCESS_TOKEN={ACCESS_TOKEN}"
    assert (
        "docker login -u oauth2accesstoken --password-stdin https://europe-west1-docker.pkg.dev"
        in err
    )


def test_roleset_on_another_mount_with_the_token_file(vault: OpenBao, tmp_path: Path) -> None:
    (tmp_path / ".vault-token").write_text("root\n")
    code, out, err = run(
        "gcp-token", "--roleset", "deployer", "--mount", "gcp-prod", "--vault-addr", vault.addr
    )
    assert code == ExitCode.OK, err
    assert out.strip() == "ya29.roleset"


def test_static_account(vault: OpenBao) -> None:
    code, out, _ = run(
        "gcp-token", "--static-account", "ci", "--vault-addr", vault.addr, "--vault-token", "root"
    )
    assert code == ExitCode.OK
    assert out.strip() == "ya29.static"


def test_a_token_without_the_policy_is_refused(vault: OpenBao) -> None:
    code, out, err = gcp_token_for_dev(vault.addr, token_with(vault))
    assert code == ExitCode.AUTH
    assert out == ""
    assert "permission denied" in err and "vault login" in err and "terraform-<root>-apply" in err


def test_an_unknown_vault_token_is_refused(vault: OpenBao) -> None:
    code, _, err = gcp_token_for_dev(vault.addr, "hvs.not-a-token")
    assert code == ExitCode.AUTH
    assert "permission denied" in err


def test_a_missing_account_is_not_found(vault: OpenBao) -> None:
    code, _, err = run(
        "gcp-token", "--account", "nope", "--vault-addr", vault.addr, "--vault-token", "root"
    )
    assert code == ExitCode.NOT_FOUND
    assert "no impersonated account 'nope'" in err and "vault list gcp/impersonated-accounts" in err


def test_an_answer_without_a_token_is_an_error(vault: OpenBao) -> None:
    code, _, err = run(
        "gcp-token", "--account", "broken", "--vault-addr", vault.addr, "--vault-token", "root"
    )
    assert code == ExitCode.FAILED
    assert "without a token" in err


def test_a_sealed_vault_is_reported_before_asking_for_a_token() -> None:
    with dev_server() as sealed:
        sealed.client().sys.seal()
        code, out, err = gcp_token_for_dev(sealed.addr, "root")
    assert code == ExitCode.UNAVAILABLE
    assert out == ""
    assert "is sealed (unseal progress 0/1)" in err and "vault operator unseal" in err


def test_a_wrong_address_is_unreachable() -> None:
    code, _, err = run(
        "gcp-token",
        "--account",
        "terraform-dev",
        "--vault-addr",
        f"http://127.0.0.1:{free_port()}",
        "--vault-token",
        "t",
        "--http-timeout",
        "2",
    )
    assert code == ExitCode.UNAVAILABLE
    assert "cannot reach Vault" in err


def test_the_engines_400_for_an_unknown_roleset(httpserver: HTTPServer) -> None:
    """The GCP engine answers 400 (not 404) for a roleset that does not exist; KV cannot."""
    httpserver.expect_request("/v1/sys/seal-status").respond_with_json({"sealed": False})
    httpserver.expect_request("/v1/gcp/roleset/nope/token").respond_with_data(
        json.dumps({"errors": ['role set "nope" does not exists']}),
        status=400,
        content_type="application/json",
    )
    code, _, err = run(
        "gcp-token",
        "--roleset",
        "nope",
        "--vault-addr",
        httpserver.url_for("/"),
        "--vault-token",
        "t",
    )
    assert code == ExitCode.NOT_FOUND
    assert 'role set "nope" does not exists' in err


def test_no_vault_token(vault: OpenBao) -> None:
    code, _, err = run("gcp-token", "--account", "terraform-dev", "--vault-addr", vault.addr)
    assert code == ExitCode.AUTH
    assert "vault login" in err


def test_no_vault_addr() -> None:
    code, _, err = run("gcp-token", "--account", "terraform-dev", "--vault-token", "t")
    assert code == ExitCode.USAGE
    assert "VAULT_ADDR" in err
