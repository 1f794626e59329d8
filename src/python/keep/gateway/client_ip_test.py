import pytest

from keep.gateway.client_ip import client_address


@pytest.mark.parametrize(
    ("forwarded_for", "hops", "expected"),
    [
        (None, 0, "10.0.0.2"),
        ("203.0.113.9", 0, "10.0.0.2"),  # not behind a proxy: the header is forged
        ("203.0.113.9", 1, "203.0.113.9"),
        ("6.6.6.6, 203.0.113.9", 1, "203.0.113.9"),  # the client's own entry is ignored
        ("6.6.6.6, 203.0.113.9, 130.211.0.1", 2, "203.0.113.9"),  # e.g. a Google LB
        ("203.0.113.9", 3, "203.0.113.9"),  # fewer entries than hops: the leftmost
        ("2001:db8::1", 1, "2001:db8::1"),
        ("not-an-ip", 1, "10.0.0.2"),
        (" , ", 1, "10.0.0.2"),
    ],
)
def test_client_address(forwarded_for: str | None, hops: int, expected: str) -> None:
    assert client_address("10.0.0.2", forwarded_for, hops) == expected


def test_unknown_peer() -> None:
    assert client_address(None, None, 0) == "unknown"
