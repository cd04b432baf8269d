"""Bearer-token authentication for the API: ``require_actor()`` resolves the caller or raises 401."""

from __future__ import annotations

from flask import current_app, g, request

from ..errors import InputError
from ..tokens import Actor, actor_for_token


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def require_actor() -> Actor:
    if "actor" not in g:
        catalog = current_app.extensions["forms"].catalog
        g.actor = actor_for_token(catalog, bearer_token())
    return g.actor


def retrieval_purpose() -> dict[str, str]:
    """The purpose and case number a client states for a retrieval, for the audit log.

    Sent as ``X-Purpose`` / ``X-Case-Number`` headers or ``purpose`` / ``case_no`` parameters;
    required when FORMS_REQUIRE_PURPOSE is on."""
    purpose = (request.headers.get("X-Purpose") or request.args.get("purpose") or "").strip()[:200]
    case_no = (request.headers.get("X-Case-Number") or request.args.get("case_no") or "").strip()[:100]
    if not purpose and current_app.extensions["forms"].settings.require_purpose:
        raise InputError("state the purpose of this retrieval (X-Purpose header or purpose=)",
                         details={"field": "purpose"})
    return {k: v for k, v in (("purpose", purpose), ("case_no", case_no)) if v}


def source_ip() -> str:
    return request.remote_addr or ""
