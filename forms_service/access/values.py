"""What access/ keeps in the database — API tokens, people who sign in, their web sessions — as the
frozen values that cross its repository's protocol, and that protocol (``AccessCatalog``; ``store.py``
implements it, ``tests/contract/test_accounts.py`` runs on SQLite and PostgreSQL)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol, runtime_checkable


@dataclass(frozen=True)
class ApiToken:
    id: int
    prefix: str
    agency: str
    role: str
    label: str
    allowed_networks: str
    created_at: datetime
    revoked_at: datetime | None
    expires_at: datetime | None = None
    system: str = ""
    username: str = ""  # a person's own token acts as that user
    connection_id: str = ""  # a system token's connection (介接案): its events are checked against it


@dataclass(frozen=True)
class User:
    username: str
    password_hash: str
    agency: str
    role: str
    failed_logins: int
    locked_until: datetime | None
    created_at: datetime
    full_name: str = ""
    email: str = ""
    system_account: str = ""  # the account in the agency's business systems (query events' user.account)

    @property
    def account(self) -> str:
        """Who this person is in the query events: the system account, or the user name."""
        return self.system_account or self.username


@dataclass(frozen=True)
class WebSession:
    username: str
    created_at: datetime
    expires_at: datetime
    last_seen_at: datetime


@runtime_checkable
class AccessCatalog(Protocol):
    """API tokens (found by their hash, never by the token), people who sign in, their sessions
    (found by the hash of the id in the cookie).  Every change that takes a right away — a lock,
    a new role, a new password — ends the person's sessions in the same transaction."""

    def add_token(self, token_hash: str, *, prefix: str, agency: str, role: str, label: str,
                  allowed_networks: str = "", expires_at: datetime | None = None, system: str = "",
                  username: str = "", connection_id: str = "") -> ApiToken: ...

    def token_by_hash(self, token_hash: str, *, now: datetime) -> ApiToken | None:
        """The token with this sha256, unless revoked or expired at ``now``."""

    def tokens(self) -> list[ApiToken]:
        """Every token ever made, newest first (revoked and expired ones too)."""

    def revoke_token(self, token_id: int) -> bool:
        """Revoke one token; False if there is no such live token."""

    def revoke_tokens(self, *, label: str) -> int:
        """Revoke every live token with this label; how many were revoked."""

    def add_user(self, username: str, password_hash: str, *, agency: str, role: str) -> User: ...

    def user(self, username: str) -> User | None: ...

    def users(self) -> list[User]: ...

    def set_user_details(self, username: str, *, full_name: str, email: str, system_account: str) -> bool:
        """The person's name, e-mail and business-system account; False if there is no such user."""

    def record_login(self, username: str, *, ok: bool, lock_after: int, lock_for: timedelta) -> None:
        """Count a failed sign-in (locking the account and ending its sessions after
        ``lock_after`` in a row), or reset the count on success."""

    def set_password(self, username: str, password_hash: str) -> bool:
        """A new password (and no lock); the user's sessions end.  False if there is no such user."""

    def set_role(self, username: str, role: str) -> bool:
        """A new role; the user's sessions end.  False if there is no such user."""

    def unlock_user(self, username: str) -> bool: ...

    def lock_user(self, username: str, *, until: datetime, now: datetime) -> bool:
        """Refuse the user's sign-ins until ``until`` (an administrator's lock) and end their sessions;
        False if there is no such user."""

    def add_session(self, sid_hash: str, username: str, *, now: datetime, expires_at: datetime) -> None: ...

    def session_by_hash(self, sid_hash: str, *, now: datetime) -> WebSession | None:
        """The live session with this hash: not ended, not past ``expires_at``."""

    def touch_session(self, sid_hash: str, *, now: datetime) -> None:
        """Note that the session was used (for its idle limit)."""

    def end_session(self, sid_hash: str, *, now: datetime) -> None: ...

    def end_sessions(self, username: str, *, now: datetime) -> int:
        """End every live session of the user; how many were ended."""
