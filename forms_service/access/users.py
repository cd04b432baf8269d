"""People who sign in to the web pages: scrypt password hashes, and what happens on a wrong one.

An unknown name and a wrong password answer alike — the same sentence, and the same scrypt work
(a dummy hash for names that do not exist), so neither the message nor the time tells whether an
account exists.  A wrong guess does not lock the account outright (that would let anyone lock
anyone out): guesses are slowed per address and per address-and-account from the audit log
(``web/auth.py``); only after ``LOCK_AFTER`` wrong passwords in a row is the account locked, until an
administrator unlocks it — and only the right password learns that it is locked.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import unicodedata
from datetime import datetime, timedelta, timezone

from ..errors import InputError, NotFound, Unauthorized
from .roles import Actor, Role
from .tokens import require_agency_code
from .values import AccessCatalog, User

LOCK_AFTER = 50  # wrong passwords in a row, from anywhere: far beyond a person's mistakes
LOCK_UNTIL_UNLOCKED = timedelta(days=365 * 100)
MIN_PASSWORD = 12
WRONG = "帳號或密碼錯誤 (wrong username or password)"
# scrypt's cost as log2 of N (r = 8, p = 1): 2**14, the interactive setting of the scrypt paper
# and Django's.  Each hash names the cost it was made with, so raising it leaves older hashes
# readable; a hash that names none is from before costs were named, made at 2**14.
SCRYPT_COST = 14
_UNNAMED_COST = 14
_COSTS = range(10, 18)  # a stored cost outside is a damaged hash, not 2**30 rounds of work
_R, _P = 8, 1


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = _scrypt(password, salt, SCRYPT_COST)
    return f"scrypt:{SCRYPT_COST}$" + base64.b64encode(salt).decode() + "$" + base64.b64encode(digest).decode()


def check_password(password: str, stored: str) -> bool:
    try:
        scheme, salt, digest = stored.split("$")
        cost = _UNNAMED_COST if scheme == "scrypt" else int(scheme.removeprefix("scrypt:"))
        if cost not in _COSTS:
            return False
        candidate = _scrypt(password, base64.b64decode(salt), cost)
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(candidate, base64.b64decode(digest))


def _scrypt(password: str, salt: bytes, cost: int) -> bytes:
    n = 2**cost
    return hashlib.scrypt(password.encode(), salt=salt, n=n, r=_R, p=_P, dklen=32, maxmem=2 * 128 * _R * n)


def _dummy_hash() -> str:
    """Checked against when the name is unknown, so that it costs the same scrypt work as a real one."""
    zeros = base64.b64encode(b"\0" * 16).decode() + "$" + base64.b64encode(b"\0" * 32).decode()
    return f"scrypt:{SCRYPT_COST}${zeros}"


def create_user(catalog: AccessCatalog, *, username: str, password: str, agency: str, role: Role | str,
                full_name: str = "", email: str = "", system_account: str = "") -> None:
    role = _role(role)
    if role is Role.SYSTEM:
        raise InputError("--role system is for a business system's API token, not a person",
                         details={"field": "role"})
    _check_new_password(password)
    if not username.strip():
        raise InputError("--username is required", details={"field": "username"})
    agency = require_agency_code(agency)
    if catalog.user(username) is not None:
        raise InputError(f"帳號「{username}」已有人使用，請換一個帳號名稱", details={"field": "username"})
    catalog.add_user(username, hash_password(password), agency=agency, role=role)
    if full_name or email or system_account:
        set_details(catalog, username, full_name=full_name, email=email, system_account=system_account)


def set_details(catalog: AccessCatalog, username: str, *, full_name: str, email: str, system_account: str) -> None:
    """The person's name (as registers print it), e-mail (for reminders) and account in the
    agency's business systems (how query events name him; empty: the user name)."""
    email = unicodedata.normalize("NFKC", email).strip()
    if email and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
        raise InputError(f"{email!r} is not an e-mail address", details={"field": "email"})
    full_name, system_account = full_name.strip(), unicodedata.normalize("NFKC", system_account).strip()
    if len(full_name) > 100 or len(email) > 200 or len(system_account) > 100:
        raise InputError("name, e-mail or account too long (100, 200, 100 characters)", details={"field": "name"})
    if not catalog.set_user_details(username, full_name=full_name, email=email, system_account=system_account):
        raise NotFound(f"no user {username!r}")


def sign_in(catalog: AccessCatalog, username: str, password: str, *, now: datetime) -> Actor:
    """The actor for a correct password; ``Unauthorized`` otherwise, alike for every wrong case."""
    user = catalog.user(username)
    right = check_password(password, user.password_hash if user is not None else _dummy_hash())
    if user is None or not right:
        if user is not None:
            catalog.record_login(username, ok=False, lock_after=LOCK_AFTER, lock_for=LOCK_UNTIL_UNLOCKED)
        raise Unauthorized(WRONG)
    if is_locked(user, now):
        raise Unauthorized("此帳號因多次密碼錯誤已鎖定，請洽系統管理者解鎖 (this account is locked: ask an "
                           "administrator to unlock it)")
    catalog.record_login(username, ok=True, lock_after=LOCK_AFTER, lock_for=LOCK_UNTIL_UNLOCKED)
    return actor_of(user)


def actor_of(user: User) -> Actor:
    return Actor(id=f"user:{user.username}", agency=user.agency, role=Role(user.role))


def is_locked(user: User, now: datetime) -> bool:
    return user.locked_until is not None and user.locked_until > now


def set_password(catalog: AccessCatalog, username: str, password: str) -> None:
    """A new password; the person's sessions end."""
    _check_new_password(password)
    if not catalog.set_password(username, hash_password(password)):
        raise NotFound(f"no user {username!r}")


def set_role(catalog: AccessCatalog, username: str, role: Role | str) -> None:
    """A new role; the person's sessions end (they sign in again with the new one)."""
    if _role(role) is Role.SYSTEM:
        raise InputError("--role system is for a business system's API token, not a person",
                         details={"field": "role"})
    if not catalog.set_role(username, _role(role)):
        raise NotFound(f"no user {username!r}")


# An administrator's lock lasts until an administrator unlocks the account.
LOCKED_BY_ADMIN = datetime(9999, 12, 31, tzinfo=timezone.utc)


def lock(catalog: AccessCatalog, username: str, *, now: datetime) -> None:
    """Stop the person signing in (and end their sessions) until unlocked: a leaver, a suspicion."""
    if not catalog.lock_user(username, until=LOCKED_BY_ADMIN, now=now):
        raise NotFound(f"no user {username!r}")


def unlock(catalog: AccessCatalog, username: str) -> None:
    if not catalog.unlock_user(username):
        raise NotFound(f"no user {username!r}")


def _role(role: Role | str) -> Role:
    try:
        return Role(role)
    except ValueError:
        raise InputError(f"--role must be one of {', '.join(Role)}", details={"field": "role"}) from None


def _check_new_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise InputError(f"--password must have at least {MIN_PASSWORD} characters", details={"field": "password"})
