"""Who is asking: the client a wrong password is counted against.

The gateway computes the client's address (keep.gateway.client_ip) and sends it as gRPC
metadata `keep-client-address`. data-storage trusts that value because only the gateway can
reach it (deploy/kustomize/base/network-policies/datastorage.yaml); without it, the gRPC peer
is the client (direct callers such as the benchmarks).
"""

from __future__ import annotations

import functools
import hashlib
import ipaddress

CLIENT_ADDRESS_METADATA = "keep-client-address"
# One IPv6 host usually owns a whole /64: its addresses count as one client.
_IPV6_PREFIX = 64


# Every request computes its client's key; the same clients keep coming back (bounded, so a
# flood of distinct addresses costs what it did without the cache, and no memory).
@functools.lru_cache(maxsize=4096)
def client_key(address: str) -> str:
    """A short, fixed-length key for Redis: IPv4 address or IPv6 /64, hashed so keys hold no
    addresses and any string (even a malformed one) maps to a safe key."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        canonical = address
    else:
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        if isinstance(ip, ipaddress.IPv6Address):
            canonical = str(ipaddress.ip_network(f"{ip}/{_IPV6_PREFIX}", strict=False))
        else:
            canonical = str(ip)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def peer_address(peer: str) -> str:
    """The host part of grpc's peer string (`ipv4:1.2.3.4:5678`, `ipv6:[::1]:5678`)."""
    kind, _, rest = peer.partition(":")
    if kind == "ipv4":
        return rest.rpartition(":")[0]
    if kind == "ipv6":
        return rest.rpartition(":")[0].strip("[]")
    return peer
