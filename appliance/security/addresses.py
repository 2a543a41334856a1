"""Client addresses: the allow-list (ALLOWED_IPS) and X-Forwarded-For from trusted proxies only."""

from __future__ import annotations

import ipaddress

from ..config import Config


def client_address(settings: Config, remote_addr: str | None, forwarded_for: str | None) -> str | None:
    """The address of the person's machine.

    Behind a trusted reverse proxy the connection comes from the proxy, so the
    X-Forwarded-For chain is read from the right, skipping trusted proxies; the
    first untrusted hop is the client. From anyone else the header is ignored:
    a client could write any address in it.
    """
    address = _parse(remote_addr)
    if address is None:
        return remote_addr
    if not forwarded_for or not _inside(address, settings.trusted_proxies):
        return str(address)
    for hop in reversed([part.strip() for part in forwarded_for.split(",")]):
        hop_address = _parse(hop)
        if hop_address is None:
            return str(address)  # a malformed chain: trust only what we saw
        address = hop_address
        if not _inside(address, settings.trusted_proxies):
            break
    return str(address)


def _parse(text: str | None) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    if not text:
        return None
    try:
        address = ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return None
    # An IPv4 client on a dual-stack socket shows up as ::ffff:a.b.c.d.
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def _inside(address: ipaddress.IPv4Address | ipaddress.IPv6Address, networks) -> bool:
    return any(address.version == net.version and address in net for net in networks)


def address_allowed(settings: Config, address: str | None) -> bool:
    parsed = _parse(address)
    return parsed is not None and _inside(parsed, settings.allowed_ips)


def is_loopback(address: str | None) -> bool:
    parsed = _parse(address)
    return parsed is not None and parsed.is_loopback
