"""Who is calling and from where: bearer tokens for the API, IP allowlists, and the brake on
repeated authentication failures.  Every refusal is written to the audit log."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from flask import g, request

from ..access import Actor
from ..access.networks import address_allowed, parse_networks
from ..access.tokens import actor_for_token
from ..catalog import NewAuditEvent
from ..errors import Forbidden, InputError, TooManyAttempts, Unauthorized
from .context import catalog, components

# Refused actions that count towards an address's failures.
AUTH_ACTIONS = ("auth", "login")


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def require_actor() -> Actor:
    """The caller of an API request: a valid token, from an allowed address, not rate-limited."""
    if "actor" not in g:
        check_attempts()
        try:
            actor = actor_for_token(catalog(), bearer_token())
        except Unauthorized as err:
            refuse("token:?", "", err.message)
            raise
        check_network(actor)
        g.actor = actor
    return g.actor


def check_attempts() -> None:
    """Refuse an address with too many recent authentication failures.

    Counted from the audit log, so every worker process (and a restart) sees the same count."""
    settings = components().settings
    since = datetime.now(timezone.utc) - timedelta(seconds=settings.auth_failure_window)
    failures = catalog().refusals_from(source_ip(), since=since, actions=AUTH_ACTIONS)
    if failures >= settings.auth_failure_limit:
        raise TooManyAttempts(
            f"too many failed sign-ins or invalid tokens from {source_ip()}: try again in "
            f"{max(1, settings.auth_failure_window // 60)} minute(s)", retry_after=settings.auth_failure_window)


def check_network(actor: Actor) -> None:
    """The token's own networks, else its role's (FORMS_ROLE_NETWORKS); refused and logged outside them."""
    if actor.allowed_networks:
        networks = parse_networks(actor.allowed_networks, where="token")
    else:
        networks = components().settings.networks_by_role.get(actor.role, ())
    if not address_allowed(source_ip(), networks):
        refuse(actor.id, actor.agency, f"address {source_ip()} is outside the networks allowed for {actor.role}")
        raise Forbidden(f"access as {actor.role} is not allowed from {source_ip()}")


def refuse(actor_id: str, agency: str, reason: str, *, action: str = "auth") -> None:
    catalog().audit(NewAuditEvent(
        actor=actor_id, agency=agency, action=action, outcome="refused", source_ip=source_ip(),
        detail={"reason": reason, "method": request.method, "path": request.path},
    ))


def retrieval_purpose() -> dict[str, str]:
    """The purpose and case number a client states for a retrieval, for the audit log.

    Sent as ``X-Purpose`` / ``X-Case-Number`` headers or ``purpose`` / ``case_no`` parameters (or
    form fields, from the pages); required when FORMS_REQUIRE_PURPOSE is on."""
    purpose = (request.headers.get("X-Purpose") or request.values.get("purpose") or "").strip()[:200]
    case_no = (request.headers.get("X-Case-Number") or request.values.get("case_no") or "").strip()[:100]
    if not purpose and components().settings.require_purpose:
        raise InputError("state the purpose of this retrieval (X-Purpose header or purpose=)",
                         details={"field": "purpose"})
    return {k: v for k, v in (("purpose", purpose), ("case_no", case_no)) if v}


def source_ip() -> str:
    return request.remote_addr or ""
