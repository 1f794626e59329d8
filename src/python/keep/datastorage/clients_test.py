from __future__ import annotations

import pytest

from keep.datastorage.clients import client_key, peer_address


def test_one_ipv6_64_is_one_client_and_ipv4_addresses_are_distinct() -> None:
    assert client_key("2001:db8::1") == client_key("2001:db8::ffff:1234")
    assert client_key("2001:db8::1") != client_key("2001:db8:0:1::1")
    assert client_key("192.0.2.1") != client_key("192.0.2.2")
    assert client_key("::ffff:192.0.2.1") == client_key("192.0.2.1")


@pytest.mark.parametrize("address", ["", "unknown", "a" * 10_000, "x:y\n\x00", "😀"])
def test_any_string_gives_a_short_safe_key(address: str) -> None:
    key = client_key(address)
    assert len(key) == 16 and all(c in "0123456789abcdef" for c in key)


@pytest.mark.parametrize(
    ("peer", "address"),
    [
        ("ipv4:127.0.0.1:51234", "127.0.0.1"),
        ("ipv6:[::1]:51234", "::1"),
        ("unix:/tmp/sock", "unix:/tmp/sock"),
    ],
)
def test_peer_address(peer: str, address: str) -> None:
    assert peer_address(peer) == address
