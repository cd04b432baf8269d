"""The accounts repository contract (``access.store.SqlAccounts``), on SQLite and PostgreSQL: API tokens found
by hash and revoked, people locked and unlocked, their sessions ended with a lock."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from forms_service.access.store import SqlAccounts


def now() -> datetime:
    return datetime.now(timezone.utc)


@pytest.fixture
def any_accounts(any_database):
    """The concern's repository alone on a fresh database of each backend."""
    return SqlAccounts(any_database)


def test_tokens_are_found_by_hash_and_revoked_by_label(any_accounts):
    any_accounts.add_token("h" * 64, prefix="fst_x", agency="379000000A", role="clerk", label="demo")
    assert any_accounts.token_by_hash("h" * 64, now=now()).role == "clerk"
    assert any_accounts.revoke_tokens(label="demo") == 1
    assert any_accounts.token_by_hash("h" * 64, now=now()) is None


def test_a_user_is_locked_after_repeated_failures_and_unlocked_by_a_success(any_accounts):
    any_accounts.add_user("alice", "scrypt$x$y", agency="379000000A", role="clerk")
    for _ in range(2):
        any_accounts.record_login("alice", ok=False, lock_after=3, lock_for=timedelta(minutes=15))
    assert any_accounts.user("alice").failed_logins == 2 and any_accounts.user("alice").locked_until is None
    any_accounts.record_login("alice", ok=False, lock_after=3, lock_for=timedelta(minutes=15))
    assert any_accounts.user("alice").locked_until > now()
    any_accounts.record_login("alice", ok=True, lock_after=3, lock_for=timedelta(minutes=15))
    assert any_accounts.user("alice").locked_until is None
    assert any_accounts.user("nobody") is None


def test_an_administrators_lock_holds_until_unlocked_and_ends_the_sessions(any_accounts):
    any_accounts.add_user("carl", "hash", agency="379000000A", role="clerk")
    at = now()
    any_accounts.add_session("s" * 64, "carl", now=at, expires_at=at + timedelta(hours=8))
    until = datetime(9999, 12, 31, tzinfo=timezone.utc)
    assert any_accounts.lock_user("carl", until=until, now=at)
    assert any_accounts.user("carl").locked_until == until
    assert any_accounts.session_by_hash("s" * 64, now=at) is None
    assert not any_accounts.lock_user("nobody", until=until, now=at)
    assert any_accounts.unlock_user("carl") and any_accounts.user("carl").locked_until is None


def test_a_user_has_a_name_mail_and_business_system_account(any_accounts):
    any_accounts.add_user("wang", "scrypt$x$y", agency="379010000A", role="querier")
    assert any_accounts.user("wang").account == "wang"
    assert any_accounts.set_user_details("wang", full_name="王小明", email="wang@example.tw", system_account="W0123")
    assert not any_accounts.set_user_details("nobody", full_name="", email="", system_account="")
    user = any_accounts.user("wang")
    assert (user.full_name, user.email, user.account) == ("王小明", "wang@example.tw", "W0123")

