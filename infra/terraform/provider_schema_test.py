"""Every resource, data source, provider block, argument and nested block in infra/terraform
against the real provider schemas (hashicorp/google 6.50.0, hashicorp/vault 4.8.0), read from the
cdktf npm packages that Pants fetches pinned by hash (BUILD: provider-*-schema)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from provider_schema import ProviderSchema, check_document, load_schema, verify_integrity
from tfconfig import (
    MODULES,
    REPO_ROOT,
    TF_ROOT,
    all_tf_dirs,
    all_tf_files,
    load_dir,
    one,
    parse_tf,
    parse_tf_text,
)

# npm's `dist.integrity` of each tarball (`npm view <pkg>@<version> dist.integrity`); BUILD pins
# the same files by sha256 for Pants' download.
PACKAGES = {
    "google": (
        "provider-google-16.12.1.tgz",
        "6.50.0",
        "sha512-KqNA/5RiFT07r0PSZ6/07cJ2zESUgbj1JchVj21iBFBZVUbD+578xA/k8eq/r0cbyEgLmg9eYWeVslaYah4DCQ==",
    ),
    "vault": (
        "provider-vault-13.8.0.tgz",
        "4.8.0",
        "sha512-Et2IiClAM9Oek+4dpbiJge4VQyJST8XabaMQp5wC5mLpNENwJfDDqGS9g0tx8DU+kiDHe6vdPmevOetp18XYNQ==",
    ),
}


def tarball(provider: str) -> Path:
    path = TF_ROOT / PACKAGES[provider][0]
    assert path.is_file(), f"{path.name} missing: run through `pants test` (BUILD fetches it)"
    return path


@pytest.fixture(scope="module")
def schemas() -> dict[str, ProviderSchema]:
    return {name: load_schema(tarball(name)) for name in PACKAGES}


@pytest.mark.parametrize("provider", sorted(PACKAGES))
def test_tarballs_match_the_npm_integrity_pin(provider: str) -> None:
    verify_integrity(tarball(provider), PACKAGES[provider][2])


def test_schemas_are_the_pinned_provider_versions(schemas: dict[str, ProviderSchema]) -> None:
    assert {name: s.version for name, s in schemas.items()} == {
        name: version for name, (_, version, _) in PACKAGES.items()
    }


def test_every_block_matches_the_provider_schemas(schemas: dict[str, ProviderSchema]) -> None:
    problems, checked = [], 0
    for tf in all_tf_files():
        found, count = check_document(
            parse_tf(tf, explicit_blocks=True), schemas, str(tf.relative_to(TF_ROOT))
        )
        problems += found
        checked += count
    assert not problems, "\n".join(map(str, problems))
    # Every resource, data source and provider block was seen (not silently skipped).
    expected = sum(
        len(load_dir(d)["resource"]) + len(load_dir(d)["data"]) + len(load_dir(d)["provider"])
        for d in all_tf_dirs()
    )
    assert checked == expected > 40


def _mutated(path: Path, old: str, new: str) -> str:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    return text.replace(old, new, 1)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        # a misspelt argument inside a nested block
        (
            "enable_private_nodes",
            "enable_private_node",
            "private_cluster_config: unknown argument or block 'enable_private_node'",
        ),
        # a misspelt nested block
        ("workload_identity_config {", "workload_identity {", "unknown argument or block"),
        # a required argument left out
        ("  name     = var.name\n", "", "required argument 'name'"),
        # a block written as an attribute
        ("  release_channel {", "  release_channel = {", "'release_channel' is a block"),
    ],
)
def test_the_check_catches_mistakes(
    schemas: dict[str, ProviderSchema], old: str, new: str, message: str
) -> None:
    gke = MODULES / "gke" / "main.tf"
    clean, _ = check_document(parse_tf(gke, explicit_blocks=True), schemas, "gke")
    assert clean == []
    broken = parse_tf_text(_mutated(gke, old, new), explicit_blocks=True)
    problems, _ = check_document(broken, schemas, "gke")
    assert any(message in str(p) for p in problems), problems


def test_a_misspelt_provider_argument_is_caught(schemas: dict[str, ProviderSchema]) -> None:
    text = 'provider "vault" {\n  skip_child_tokens = true\n}\n'
    problems, _ = check_document(parse_tf_text(text, explicit_blocks=True), schemas, "p")
    assert [str(p) for p in problems] == [
        "p: provider vault: unknown argument or block 'skip_child_tokens'"
    ]


@pytest.mark.parametrize("path", all_tf_dirs(), ids=lambda p: str(p.relative_to(TF_ROOT)))
def test_versions_tf_ranges_start_at_the_checked_schema(path: Path) -> None:
    """A range reaching below the checked version would accept a provider whose schema nobody
    checked; the upper bound stops at the next major."""
    providers = one(one(load_dir(path)["terraform"][0])["required_providers"])
    for name, spec in providers.items():
        version = PACKAGES[name][1]
        major = int(version.split(".")[0])
        assert one(spec)["version"] == f">= {version}, < {major + 1}.0.0", (path, name)


def test_readme_names_the_schema_versions() -> None:
    readme = (REPO_ROOT / "infra" / "README.md").read_text()
    for name, (package, version, _) in PACKAGES.items():
        npm = re.sub(r"-(\d+\.\d+\.\d+)\.tgz$", r"@\1", package)
        assert f"hashicorp/{name} {version}" in readme
        assert f"@cdktf/{npm}" in readme
