"""Check Terraform blocks against the providers' real schemas, read from the cdktf npm packages.

Terraform providers cannot be downloaded on the build machines, so `terraform validate` cannot
run. The npm packages `@cdktf/provider-google` and `@cdktf/provider-vault` are generated from the
providers' own schemas and ship them in their `.jsii` file: each resource, data source and
provider is a class whose docs link to `.../docs/resources/<name> <terraform type>`, and its
`...Config` struct lists every argument and nested block with `optional` and a docs anchor
`#<terraform_argument_name>`. That is all a schema check needs: known names, required names,
and which names are blocks (and their own structs).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Terraform meta-arguments: valid at the top of every resource/data block, absent from schemas.
META_ARGUMENTS = frozenset(
    {"count", "for_each", "depends_on", "lifecycle", "provider", "provisioner", "connection"}
)
PROVIDER_META_ARGUMENTS = frozenset({"alias"})
# Provider arguments the schema marks required but the provider fills from the environment
# (hashicorp/vault: `address` defaults to $VAULT_ADDR; the roots rely on that on purpose).
PROVIDER_ENVIRONMENT_DEFAULTS = {("vault", "address"): "VAULT_ADDR"}

_REPRESENTS = re.compile(
    r"Represents a \{@link https://registry\.terraform\.io/providers/hashicorp/(?P<provider>[\w-]+)/"
    r"(?P<version>[\d.]+)/docs(?:/(?P<kind>resources|data-sources)/\w+)? (?P<tf_name>\w+)\}"
)
_ANCHOR = re.compile(r"/docs(?:/[\w-]+/\w+)?#(\w+) ")


@dataclass(frozen=True)
class Argument:
    required: bool
    block: str | None  # fqn of the nested block's struct, None for a plain attribute


@dataclass
class ProviderSchema:
    provider: str
    version: str
    # ("resource" | "data" | "provider", terraform type name) -> struct fqn
    types: dict[tuple[str, str], str] = field(default_factory=dict)
    structs: dict[str, dict[str, Argument]] = field(default_factory=dict)

    def arguments(self, fqn: str) -> dict[str, Argument]:
        return self.structs[fqn]


def verify_integrity(tarball: Path, integrity: str) -> None:
    """npm's `dist.integrity` (sha512, base64): the same pin `npm ci` checks."""
    algo, _, expected = integrity.partition("-")
    digest = base64.b64encode(hashlib.new(algo, tarball.read_bytes()).digest()).decode()
    if digest != expected:
        raise ValueError(f"{tarball.name}: integrity {algo}-{digest} != pinned {integrity}")


def _docs_text(docs: dict[str, Any]) -> str:
    return " ".join(str(v) for v in docs.values())


def _struct_refs(type_ref: dict[str, Any]) -> Iterator[str]:
    """Every fqn a jsii type reference mentions (through unions and collections)."""
    if "fqn" in type_ref:
        yield type_ref["fqn"]
    for member in type_ref.get("union", {}).get("types", []):
        yield from _struct_refs(member)
    collection = type_ref.get("collection")
    if collection:
        yield from _struct_refs(collection["elementtype"])


def _read_jsii(tarball: Path) -> dict[str, Any]:
    with tarfile.open(tarball, "r:gz") as tar:
        member = tar.extractfile("package/.jsii")
        assert member is not None, f"{tarball} has no package/.jsii"
        loaded: dict[str, Any] = json.load(member)
        return loaded


def _cache_file(tarball: Path) -> Path:
    """Where the compact schema of this exact tarball, made by this exact code, is kept."""
    key = hashlib.sha256(tarball.read_bytes())
    key.update(Path(__file__).read_bytes())
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "keep" / "provider-schemas" / f"{tarball.stem}-{key.hexdigest()[:16]}.json"


def load_schema(tarball: Path) -> ProviderSchema:
    """The schema of one cdktf package. Parsing its .jsii (99 MB for google) takes seconds; the
    few megabytes the check needs are cached per tarball content and checker version."""
    cache = _cache_file(tarball)
    if cache.is_file():
        data = json.loads(cache.read_text())
        return ProviderSchema(
            data["provider"],
            data["version"],
            types={(kind, name): fqn for kind, name, fqn in data["types"]},
            structs={
                fqn: {name: Argument(*arg) for name, arg in args.items()}
                for fqn, args in data["structs"].items()
            },
        )
    schema = _parse_schema(tarball)
    cache.parent.mkdir(parents=True, exist_ok=True)
    partial = cache.with_suffix(f".{os.getpid()}.tmp")
    partial.write_text(
        json.dumps(
            {
                "provider": schema.provider,
                "version": schema.version,
                "types": [[kind, name, fqn] for (kind, name), fqn in schema.types.items()],
                "structs": {
                    fqn: {name: [a.required, a.block] for name, a in args.items()}
                    for fqn, args in schema.structs.items()
                },
            }
        )
    )
    partial.replace(cache)  # atomic: concurrent test runs never read half a file
    return schema


def _parse_schema(tarball: Path) -> ProviderSchema:
    jsii = _read_jsii(tarball)
    types: dict[str, Any] = jsii["types"]
    schema: ProviderSchema | None = None
    config_of: dict[tuple[str, str], str] = {}
    for cls in types.values():
        if cls.get("kind") != "class":
            continue
        match = _REPRESENTS.search(cls.get("docs", {}).get("summary", ""))
        if not match:
            continue
        if schema is None:
            schema = ProviderSchema(match["provider"], match["version"])
        kind = {"resources": "resource", "data-sources": "data", None: "provider"}[match["kind"]]
        config = [p for p in cls["initializer"]["parameters"] if p["name"] == "config"]
        config_of[(kind, match["tf_name"])] = config[0]["type"]["fqn"]
    assert schema is not None, f"{tarball}: no Terraform classes found"

    def struct(fqn: str) -> None:
        if fqn in schema.structs:
            return
        args: dict[str, Argument] = {}
        schema.structs[fqn] = args
        for prop in types[fqn].get("properties", []):
            anchor = _ANCHOR.search(_docs_text(prop.get("docs", {})))
            if not anchor:
                continue  # meta-arguments inherited from cdktf carry no registry anchor
            nested = [
                ref
                for ref in _struct_refs(prop["type"])
                if ref in types and types[ref].get("datatype")
            ]
            args[anchor.group(1)] = Argument(
                required=not prop.get("optional", False), block=nested[0] if nested else None
            )
            for ref in nested:
                struct(ref)

    for key, fqn in config_of.items():
        schema.types[key] = fqn
        struct(fqn)
    return schema


@dataclass(frozen=True)
class Problem:
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


def _children(body: dict[str, Any]) -> Iterator[tuple[str, Any, bool]]:
    """(name, value, is_block) of a block body; `dynamic "x" { content {...} }` counts as block x."""
    for key, value in body.items():
        if key == "__is_block__":
            continue
        if key == "dynamic":
            for dyn in value:
                for name, spec in dyn.items():
                    for content in spec.get("content", []):
                        yield name, content, True
            continue
        is_block = (
            isinstance(value, list)
            and bool(value)
            and all(isinstance(v, dict) and v.get("__is_block__") for v in value)
        )
        if is_block:
            for item in value:
                yield key, item, True
        else:
            yield key, value, False


def check_block(
    schema: ProviderSchema, fqn: str, body: dict[str, Any], where: str, top_level: bool
) -> list[Problem]:
    known = schema.arguments(fqn)
    problems: list[Problem] = []
    seen: set[str] = set()
    meta = META_ARGUMENTS if top_level else frozenset()
    for name, value, is_block in _children(body):
        if name in meta:
            continue
        arg = known.get(name)
        if arg is None:
            problems.append(Problem(where, f"unknown argument or block {name!r}"))
            continue
        seen.add(name)
        if is_block and arg.block is None:
            problems.append(Problem(where, f"{name!r} is an attribute, not a block"))
        elif not is_block and arg.block is not None:
            problems.append(Problem(where, f"{name!r} is a block, not an attribute"))
        elif is_block and arg.block is not None:
            problems.extend(check_block(schema, arg.block, value, f"{where}.{name}", False))
    for name, arg in known.items():
        if arg.required and name not in seen:
            problems.append(Problem(where, f"required argument {name!r} is missing"))
    return problems


def _filled_from_environment(provider: str, problem: Problem) -> bool:
    missing = re.fullmatch(r"required argument '(\w+)' is missing", problem.message)
    return missing is not None and (provider, missing.group(1)) in PROVIDER_ENVIRONMENT_DEFAULTS


def check_document(
    doc: dict[str, Any], schemas: dict[str, ProviderSchema], where: str
) -> tuple[list[Problem], int]:
    """Check every resource, data source and provider block of one parsed .tf file.

    Returns the problems and how many blocks were checked."""
    problems: list[Problem] = []
    checked = 0
    for kind in ("resource", "data"):
        for group in doc.get(kind, []):
            for tf_type, named in group.items():
                provider = tf_type.split("_", 1)[0]
                for name, body in named.items():
                    here = f"{where}: {kind} {tf_type}.{name}"
                    schema = schemas.get(provider)
                    if schema is None:
                        problems.append(Problem(here, f"no schema for provider {provider!r}"))
                        continue
                    fqn = schema.types.get((kind, tf_type))
                    if fqn is None:
                        problems.append(Problem(here, f"{provider} {schema.version} has no {kind}"))
                        continue
                    problems.extend(check_block(schema, fqn, body, here, top_level=True))
                    checked += 1
    for group in doc.get("provider", []):
        for provider, body in group.items():
            here = f"{where}: provider {provider}"
            schema = schemas.get(provider)
            if schema is None:
                problems.append(Problem(here, f"no schema for provider {provider!r}"))
                continue
            fqn = schema.types[("provider", provider)]
            body = {k: v for k, v in body.items() if k not in PROVIDER_META_ARGUMENTS}
            found = check_block(schema, fqn, body, here, top_level=False)
            problems.extend(p for p in found if not _filled_from_environment(provider, p))
            checked += 1
    return problems, checked
