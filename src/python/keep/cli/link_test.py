"""Share links: the fragment vectors shared with the JavaScript, and whole-link parsing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from keep.cli.envelope import b64url_decode
from keep.cli.link import LinkError, format_fragment, parse_fragment, parse_link

VECTORS: dict[str, Any] = json.loads(Path("docs/envelope-vectors.json").read_text())
KEY = bytes(range(32))


@pytest.mark.parametrize("vector", VECTORS["fragments"], ids=lambda v: v["name"])
def test_fragment_vectors(vector: dict[str, Any]) -> None:
    parsed = parse_fragment(vector["fragment"])
    key = b64url_decode(vector["key"]) if vector["key"] is not None else None
    assert (parsed.key, parsed.password) == (key, vector["password"])
    if key is not None:
        assert format_fragment(key, vector["password"]) == vector["fragment"]


@pytest.mark.parametrize("vector", VECTORS["invalid_fragments"], ids=lambda v: v["name"])
def test_invalid_fragment_vectors(vector: dict[str, str]) -> None:
    with pytest.raises(LinkError) as raised:
        parse_fragment(vector["fragment"])
    assert raised.value.code == vector["error"]


def test_link_under_a_path_prefix() -> None:
    link = parse_link(f"https://keep.example.com/s/AbC_-1#{format_fragment(KEY, 'pw')}\n")
    assert (link.base, link.secret_id) == ("https://keep.example.com/s", "AbC_-1")
    assert (link.fragment.key, link.fragment.password) == (KEY, "pw")


@pytest.mark.parametrize(
    "text",
    ["localhost:8080/abc#k1.x", "ftp://host/abc", "http://host/", "http://host/a%20b#x", "abc"],
)
def test_not_a_link(text: str) -> None:
    with pytest.raises(LinkError, match="link"):
        parse_link(text)
