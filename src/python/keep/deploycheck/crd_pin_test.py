from __future__ import annotations

import jsonschema
import pytest

from keep.deploycheck.crd_pin import crd_schema
from keep.deploycheck.schemas import CRD_SCHEMAS, load_schema, validate_object

CRD = {
    "kind": "CustomResourceDefinition",
    "spec": {
        "group": "example.com",
        "names": {"kind": "Widget", "singular": "widget"},
        "versions": [{"name": "v1", "schema": {"openAPIV3Schema": {
            "type": "object",
            "properties": {
                "apiVersion": {"type": "string"}, "kind": {"type": "string"},
                "metadata": {"type": "object"},
                "spec": {"type": "object", "properties": {
                    "size": {"type": "integer", "nullable": True},
                    "free": {"type": "object", "x-kubernetes-preserve-unknown-fields": True,
                             "properties": {"a": {"type": "string"}}},
                }},
            },
        }}}],
    },
}  # fmt: skip


def _errors(obj: dict[str, object]) -> list[str]:
    schema = crd_schema(CRD, "v1", "test")
    schema["properties"]["metadata"] = {"type": "object"}  # no ObjectMeta registry here
    return [e.message for e in jsonschema.Draft202012Validator(schema).iter_errors(obj)]


def test_unknown_fields_fail_unless_preserved() -> None:
    base = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}}
    assert _errors({**base, "spec": {"size": None, "free": {"anything": 1}}}) == []
    assert _errors({**base, "spec": {"sise": 1}})  # misspelt: pruned by an API server
    assert _errors({**base, "apiVersion": "example.com/v2"})


@pytest.mark.parametrize(
    "key",
    sorted(k for k, f in CRD_SCHEMAS.items() if "crd_pin" in str(load_schema(f).get("$comment"))),
)
def test_pinned_schemas_name_their_source(key: tuple[str, str]) -> None:
    comment = load_schema(CRD_SCHEMAS[key])["$comment"]
    assert "github.com/" in comment and "sha256 " in comment
    # and they reject what a cluster would prune
    obj = {"apiVersion": key[0], "kind": key[1], "metadata": {"name": "x"}, "spec": {}, "bogus": 1}
    assert any("bogus" in e for e in validate_object(obj))
