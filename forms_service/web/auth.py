"""Bearer-token authentication for the API: ``require_actor()`` resolves the caller or raises 401."""

from __future__ import annotations

from flask import current_app, g, request

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


def source_ip() -> str:
    return request.remote_addr or ""
