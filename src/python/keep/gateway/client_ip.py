"""Which address a request comes from, for rate limits.

With `trusted_proxy_hops = 0` the TCP peer address is used and X-Forwarded-For is ignored (a
client could forge it). With N > 0 the gateway sits behind N proxies that each append to
X-Forwarded-For, so the client is the N-th entry from the right; entries further left were
written by the client and are not trusted.
"""

from __future__ import annotations

import ipaddress


def client_address(peer: str | None, forwarded_for: str | None, trusted_hops: int) -> str:
    fallback = peer or "unknown"
    if trusted_hops == 0 or not forwarded_for:
        return fallback
    hops = [h.strip() for h in forwarded_for.split(",") if h.strip()]
    if not hops:
        return fallback
    candidate = hops[-trusted_hops] if len(hops) >= trusted_hops else hops[0]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return fallback
