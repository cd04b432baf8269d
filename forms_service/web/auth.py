"""Who is calling and from where: bearer tokens for the API, IP allowlists, and the brake on
repeated authentication failures.  Every refusal is written to the audit log."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import g, request

from ..access import Actor
from ..access.networks import address_allowed, parse_networks
from ..access.policy import require
from ..access.tokens import actor_for_token
from ..archive.reading import Reader
from ..catalog import NewAuditEvent
from ..errors import Forbidden, InputError, TooManyAttempts, Unauthorized
from .context import catalog, components
from .permissions import action_of

# Refused actions that count towards an address's failures.
AUTH_ACTIONS = ("auth", "login")
ACCOUNT_GUESSES = 5  # wrong passwords for one account from one address within the window


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def require_actor() -> Actor:
    """The caller of an API request: a valid token, from an allowed address.

    A valid token works even from an address that guessed wrong many times (a token cannot be
    guessed: the brake is for the guesses); an invalid one from such an address gets 429."""
    if "actor" not in g:
        try:
            actor = actor_for_token(catalog(), bearer_token(), now=components().clock.now())
        except Unauthorized as err:
            check_attempts()
            refuse("token:?", "", err.message)
            raise
        check_network(actor)
        g.actor = actor  # known before the table is consulted: a refusal is audited with his name
        action = action_of(request.endpoint)
        if action is not None:
            require(actor, action)  # the authorisation table (access/policy.py)
    found: Actor = g.actor
    return found


def check_attempts(*, account: str | None = None) -> None:
    """Refuse an address with too many recent authentication failures — and, for a sign-in to
    ``account``, an address that guessed that account's password wrong too often (the account
    itself stays open to its owner elsewhere).

    Counted from the audit log, so every worker process (and a restart) sees the same count."""
    settings = components().settings
    since = components().clock.now() - timedelta(seconds=settings.auth_failure_window)
    minutes = max(1, settings.auth_failure_window // 60)
    if catalog().refusals_from(source_ip(), since=since, actions=AUTH_ACTIONS) >= settings.auth_failure_limit:
        # Everyone behind one address counts here: an office behind NAT shares it, so say so.
        raise TooManyAttempts(f"此網路位址（{source_ip()}）近 {minutes} 分鐘內登入失敗或權杖無效的次數過多，"
                              f"請 {minutes} 分鐘後再試。同一網路（例如經同一對外位址上網的機關）其他人的錯誤也會計入；"
                              "若持續發生，請洽系統管理者。", retry_after=settings.auth_failure_window)
    if account is not None and catalog().refusals_from(
            source_ip(), since=since, actions=("login",), actor=f"user:{account}") >= ACCOUNT_GUESSES:
        raise TooManyAttempts(f"此帳號自本網路位址輸錯密碼的次數過多，請 {minutes} 分鐘後再試；其他帳號不受影響。",
                              retry_after=settings.auth_failure_window)


def check_network(actor: Actor) -> None:
    """The token's own networks, else its role's (FORMS_ROLE_NETWORKS); refused and logged outside them."""
    if actor.allowed_networks:
        networks = parse_networks(actor.allowed_networks, where="token")
    else:
        networks = components().settings.networks_by_role.get(actor.role, ())
    if not address_allowed(source_ip(), networks):
        refuse(actor.id, actor.agency, f"address {source_ip()} is outside the networks allowed for {actor.role}")
        raise Forbidden(f"您的帳號不得由此網路位址（{source_ip()}）使用本系統；請改由機關內部網路連線，或洽系統管理者")


def reader_of(actor: Actor, purpose: dict[str, str] | None = None) -> Reader:
    """Who reads, for ``archive/reading.py``: the actor, his address, his stated purpose and what
    he asked for (method, route, version), as every audit entry of a read keeps them."""
    return Reader(actor, source_ip(), dict(purpose or {}), _asked())


def _asked() -> dict[str, str]:
    asked = {"method": request.method, "path": request.path}
    version = (request.view_args or {}).get("number") or request.args.get("version")
    if version:
        asked["version"] = str(version)
    return asked


def refuse(actor_id: str, agency: str, reason: str, *, action: str = "auth", record_id: str = "",
           detail: dict[str, Any] | None = None) -> None:
    """Write a refusal to the audit log: who, what they asked for (method, route, version), why."""
    asked = _asked()
    catalog().audit(NewAuditEvent(
        actor=actor_id, agency=agency, action=action, outcome="refused", source_ip=source_ip(),
        record_id=record_id, detail={"reason": reason, **asked, **(detail or {})},
    ))
    g.refusal_logged = True


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
