"""API tokens: creation (shown once), hashing (stored), expiry, revocation, lookup into an ``Actor``."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from ..errors import InputError, NotFound, Unauthorized
from ..taiwan import is_valid_agency_code, normalize_agency_code
from .networks import parse_networks
from .roles import Actor, Role
from .values import AccessCatalog, ApiToken

TOKEN_PREFIX = "fst_"


def require_agency_code(agency: str) -> str:
    """The agency's 機關代碼, checked and in its normal form (``３７９０００００００ａ`` → 379000000A):
    tokens and people act for a code, never a name (free text)."""
    agency = normalize_agency_code(agency.strip())
    if not is_valid_agency_code(agency):
        raise InputError(f"--agency: give the agency's 機關代碼 (e.g. 379000000A), not {agency!r}",
                         details={"field": "agency"})
    return agency


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(catalog: AccessCatalog, *, agency: str, role: Role | str, label: str = "",
                 allow: tuple[str, ...] = (), expires_at: datetime | None = None, system: str = "",
                 username: str = "", connection_id: str = "") -> str:
    """A new token (returned once, stored hashed); ``allow`` limits it to these CIDRs, and it stops
    working at ``expires_at`` (None: never — only for tokens revoked otherwise, like the demo's).
    A token of role ``system`` is one business system's, named by ``system``, bound to the connection
    (介接案) ``connection_id`` whose rules its events are checked against (``connections.tokens``
    checks the binding before calling this).  A person's own token (``username``) acts as that
    person: his agency and role, refused while he is locked."""
    if username:
        user = catalog.user(username)
        if user is None:
            raise InputError(f"no user {username!r}", details={"field": "user"})
        if agency and require_agency_code(agency) != user.agency:
            raise InputError(f"{username} works for {user.agency}, not {agency}", details={"field": "agency"})
        agency, role = user.agency, user.role
    agency = require_agency_code(agency)
    try:
        role = Role(role)
    except ValueError:
        raise InputError(f"--role must be one of {', '.join(Role)}, not {role!r}", details={"field": "role"}) from None
    system = system.strip()
    if role is Role.SYSTEM and not system:
        raise InputError("--system: a token of role system names the business system it posts for",
                         details={"field": "system"})
    if role is not Role.SYSTEM and system:
        raise InputError("--system goes only with --role system", details={"field": "system"})
    if role is Role.SYSTEM and not connection_id:
        raise InputError("--connection: a token of role system is bound to the connection (介接案) its system "
                         "reports for", details={"field": "connection"})
    if role is not Role.SYSTEM and connection_id:
        raise InputError("--connection goes only with --role system", details={"field": "connection"})
    try:
        networks = parse_networks(allow, where="--allow")
    except ValueError as err:
        raise InputError(str(err), details={"field": "allow"}) from None
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    catalog.add_token(hash_token(token), prefix=token[:10], agency=agency, role=role, label=label,
                      allowed_networks=",".join(str(n) for n in networks), expires_at=expires_at,
                      system=system[:200], username=username, connection_id=connection_id)
    return token


def revoke(catalog: AccessCatalog, which: str) -> ApiToken:
    """Revoke the live token whose id or prefix (``fst_AbCdEf``) is ``which``."""
    live = [t for t in catalog.tokens() if t.revoked_at is None and which in (str(t.id), t.prefix)]
    if not live:
        raise NotFound(f"no live token {which!r} (give its id or prefix: forms-service tokens list)")
    if len(live) > 1:
        raise InputError(f"{which!r} names {len(live)} tokens: give the id", details={"field": "token"})
    catalog.revoke_token(live[0].id)
    return live[0]


def actor_for_token(catalog: AccessCatalog, token: str | None, *, now: datetime) -> Actor:
    if not token:
        raise Unauthorized("this endpoint needs a bearer token (Authorization: Bearer …)")
    row = catalog.token_by_hash(hash_token(token), now=now)
    if row is None:
        raise Unauthorized("the bearer token is not valid (unknown, expired or revoked)")
    if row.username:  # a person's own token: as the person is now
        user = catalog.user(row.username)
        if user is None or (user.locked_until is not None and user.locked_until > now):
            raise Unauthorized("the bearer token's owner is locked or gone")
        return Actor(id=f"user:{user.username}", agency=user.agency, role=Role(user.role),
                     allowed_networks=row.allowed_networks)
    return Actor(id=f"token:{row.id}:{row.prefix}", agency=row.agency, role=Role(row.role),
                 allowed_networks=row.allowed_networks, system=row.system, connection_id=row.connection_id)
