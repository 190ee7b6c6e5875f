"""Who a client is: its address (the socket's peer, or the one a trusted proxy forwarded), and the group it
is counted in (an IPv4 address, an IPv6 /64). The HTTP front counts connections by it, the beacon
endpoint rate-limits by it; nothing stores it."""

from __future__ import annotations

import ipaddress
from functools import lru_cache


class ClientAddress:
    """The client's IP: the socket peer, or, when the peer is a trusted proxy, the right-most address
    in X-Forwarded-For that is not itself a trusted proxy."""

    def __init__(self, trusted_proxies: tuple[str, ...]) -> None:
        self.networks = tuple(ipaddress.ip_network(p, strict=False) for p in trusted_proxies)

    @lru_cache(maxsize=4096)  # noqa: B019 (one instance per app; peers repeat)
    def trusted(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in self.networks)

    def resolve_forwarded(self, peer: str | None, forwarded_for: str | None) -> tuple[str | None, bool]:
        """The client, and whether it was taken from X-Forwarded-For (then it is never the operator's own
        traffic, whatever address the header names)."""
        if not self.networks or not peer or not forwarded_for or not self.trusted(peer):
            return peer, False
        for hop in reversed([h.strip() for h in forwarded_for.split(",")]):
            if hop and not self.trusted(hop):
                return hop, True
        return peer, False

    def rate_key(self, peer: str | None, forwarded_for: str | None) -> str | None:
        """The key a client's beacons are limited under (its IPv4 address or IPv6 /64), or None for the
        operator's own traffic: a loopback peer that forwarded nobody (the demo, a local load test)."""
        client, forwarded = self.resolve_forwarded(peer, forwarded_for)
        if not client or (not forwarded and is_loopback(client)):
            return None
        return client_group(client)


@lru_cache(maxsize=65536)
def client_group(address: str) -> str:
    """The key a client is counted under: its IPv4 address, or its IPv6 /64 (the block one subscriber
    gets, so rotating addresses within it buys nothing)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if ip.version == 6:
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


@lru_cache(maxsize=4096)
def is_loopback(address: str) -> bool:
    """The operator's own traffic (or an untrusted local proxy's): never limited per IP."""
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False
