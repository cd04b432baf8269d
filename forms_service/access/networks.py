"""Where callers may come from: IP allowlists (CIDRs) per role and per API token.

``FORMS_ROLE_NETWORKS`` gives each role its networks (``clerk=10.1.0.0/16,10.2.0.0/16;admin=10.9.9.0/24``);
a role not named there may connect from anywhere.  A token created with ``--allow CIDR`` is held to
its own networks instead of its role's.  規範 asks that access to 商工資料 be restricted by IP.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(text: str | Iterable[str], *, where: str) -> tuple[Network, ...]:
    """CIDRs from a comma-separated string or a list; ``ValueError`` naming ``where`` on a bad one."""
    items = text.split(",") if isinstance(text, str) else list(text)
    networks = []
    for item in (i.strip() for i in items):
        if not item:
            continue
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ValueError(f"{where}: {item!r} is not an IP network (write 10.1.0.0/16 or 2001:db8::/32)") from None
    return tuple(networks)


def parse_role_networks(text: str, roles: Iterable[str]) -> dict[str, tuple[Network, ...]]:
    """``role=CIDR,CIDR;role=CIDR`` into a mapping; ``ValueError`` on an unknown role or bad CIDR."""
    known = set(roles)
    result: dict[str, tuple[Network, ...]] = {}
    for part in (p.strip() for p in text.split(";")):
        if not part:
            continue
        role, sep, cidrs = part.partition("=")
        role = role.strip()
        if not sep or role not in known:
            raise ValueError(f"{part!r}: write role=CIDR,CIDR with a role among {', '.join(sorted(known))}")
        result[role] = parse_networks(cidrs, where=role)
    return result


def address_allowed(address: str, networks: tuple[Network, ...]) -> bool:
    """No networks means no restriction; an unparsable address is never allowed."""
    if not networks:
        return True
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return any(ip in network for network in networks)
