"""People who sign in to the web pages: scrypt password hashes, lock-out after failed attempts."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import datetime, timedelta, timezone

from ..catalog import AccessCatalog
from ..errors import InputError, Unauthorized
from .roles import Actor, Role
from .tokens import require_agency_code

LOCK_AFTER = 5
LOCK_FOR = timedelta(minutes=15)
_N, _R, _P = 2**14, 8, 1


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    return "scrypt$" + base64.b64encode(salt).decode() + "$" + base64.b64encode(digest).decode()


def check_password(password: str, stored: str) -> bool:
    try:
        _, salt, digest = stored.split("$")
        candidate = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt), n=_N, r=_R, p=_P, dklen=32)
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(candidate, base64.b64decode(digest))


def create_user(catalog: AccessCatalog, *, username: str, password: str, agency: str, role: Role | str) -> None:
    try:
        role = Role(role)
    except ValueError:
        raise InputError(f"--role must be one of {', '.join(Role)}", details={"field": "role"}) from None
    if len(password) < 12:
        raise InputError("--password must have at least 12 characters")
    if not username.strip():
        raise InputError("--username is required", details={"field": "username"})
    agency = require_agency_code(agency)
    if catalog.user(username) is not None:
        raise InputError(f"a user named {username!r} exists already")
    catalog.add_user(username, hash_password(password), agency=agency, role=role)


def sign_in(catalog: AccessCatalog, username: str, password: str) -> Actor:
    """The actor for a correct password; ``Unauthorized`` otherwise — the same sentence whether the
    user is unknown or the password wrong, and a lock after repeated failures."""
    user = catalog.user(username)
    if user is not None and user.locked_until and user.locked_until > datetime.now(timezone.utc):
        raise Unauthorized("too many failed sign-ins: this account is locked for 15 minutes")
    if user is None or not check_password(password, user.password_hash):
        if user is not None:
            catalog.record_login(username, ok=False, lock_after=LOCK_AFTER, lock_for=LOCK_FOR)
        raise Unauthorized("帳號或密碼錯誤 (wrong username or password)")
    catalog.record_login(username, ok=True, lock_after=LOCK_AFTER, lock_for=LOCK_FOR)
    return Actor(id=f"user:{username}", agency=user.agency, role=Role(user.role))
