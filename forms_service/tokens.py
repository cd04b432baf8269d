"""API tokens: creation (shown once), hashing (stored), lookup into an ``Actor``."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from .catalog import Catalog
from .errors import InputError, Unauthorized
from .network_policy import parse_networks

ROLES = ("staff", "clerk", "auditor", "provider", "admin")
TOKEN_PREFIX = "fst_"


@dataclass(frozen=True)
class Actor:
    """Who is calling: resolved from a token (or the CLI's local operator)."""

    id: str
    agency: str
    role: str
    allowed_networks: str = ""  # a token's own CIDRs (comma-separated); empty = its role's

    @property
    def sees_all_agencies(self) -> bool:
        return self.role in ("provider", "admin")


LOCAL_OPERATOR = Actor(id="cli:local", agency="", role="admin")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(catalog: Catalog, *, agency: str, role: str, label: str = "", allow: tuple[str, ...] = ()) -> str:
    """A new token (returned once, stored hashed); ``allow`` limits it to these CIDRs."""
    agency = agency.strip()
    if not agency:
        raise InputError("--agency: give the agency's name or 機關代碼")
    if role not in ROLES:
        raise InputError(f"--role must be one of {', '.join(ROLES)}, not {role!r}")
    try:
        networks = parse_networks(allow, where="--allow")
    except ValueError as err:
        raise InputError(str(err), details={"field": "allow"}) from None
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    catalog.add_token(hash_token(token), prefix=token[:10], agency=agency, role=role, label=label,
                      allowed_networks=",".join(str(n) for n in networks))
    return token


def actor_for_token(catalog: Catalog, token: str | None) -> Actor:
    if not token:
        raise Unauthorized("this endpoint needs a bearer token (Authorization: Bearer …)")
    row = catalog.token_by_hash(hash_token(token))
    if row is None:
        raise Unauthorized("the bearer token is not valid (unknown or revoked)")
    return Actor(id=f"token:{row.id}:{row.prefix}", agency=row.agency, role=row.role,
                 allowed_networks=row.allowed_networks or "")
