"""Signed-in sessions kept in the catalog, so that they can end.

The cookie holds only a random id; the catalog holds its hash, the person and the times.  A
session ends at sign-out, when the account is locked or its role or password changes (the catalog
ends them in the same transaction), after ``hours`` in all, and after ``idle_minutes`` unused.  The
person's current role and agency are read at every request: a saved cookie carries no rights.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from .roles import Actor
from .users import actor_of, is_locked
from .values import AccessCatalog

TOUCH_EVERY = timedelta(minutes=1)  # a session's use is written at most this often


@dataclass(frozen=True)
class SessionPolicy:
    hours: float = 8
    idle_minutes: float = 30


def start(catalog: AccessCatalog, username: str, *, now: datetime, policy: SessionPolicy) -> str:
    """A new session for ``username``; returns the id to put in the cookie."""
    sid = secrets.token_urlsafe(32)
    catalog.add_session(_hash(sid), username, now=now, expires_at=now + timedelta(hours=policy.hours))
    return sid


def actor(catalog: AccessCatalog, sid: str | None, *, now: datetime, policy: SessionPolicy) -> Actor | None:
    """Who holds this session now, or None when it is unknown, ended, expired, idle too long, or
    its account locked or gone."""
    if not sid:
        return None
    session = catalog.session_by_hash(_hash(sid), now=now)
    if session is None:
        return None
    if now - session.last_seen_at > timedelta(minutes=policy.idle_minutes):
        catalog.end_session(_hash(sid), now=now)
        return None
    user = catalog.user(session.username)
    if user is None or is_locked(user, now):
        return None
    if now - session.last_seen_at > TOUCH_EVERY:
        catalog.touch_session(_hash(sid), now=now)
    return actor_of(user)


def end(catalog: AccessCatalog, sid: str | None, *, now: datetime) -> None:
    if sid:
        catalog.end_session(_hash(sid), now=now)


def _hash(sid: str) -> str:
    return hashlib.sha256(sid.encode()).hexdigest()
