"""The mails-sent repository contract (``notify.store.SqlMailClaims``), on SQLite and PostgreSQL: a reminder
mail claimed once per day, recipient and topic, and given back when it could not be sent."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from forms_service.notify.store import SqlMailClaims


def now() -> datetime:
    return datetime.now(timezone.utc)


@pytest.fixture
def any_mail_claims(any_database):
    """The concern's repository alone on a fresh database of each backend."""
    return SqlMailClaims(any_database)


def test_a_reminder_mail_is_claimed_once_per_day(any_mail_claims):
    assert any_mail_claims.claim_mail(day="2026-12-01", recipient="a@example.tw", topic="due", now=now())
    assert not any_mail_claims.claim_mail(day="2026-12-01", recipient="a@example.tw", topic="due", now=now())
    assert any_mail_claims.claim_mail(day="2026-12-02", recipient="a@example.tw", topic="due", now=now())
    any_mail_claims.release_mail(day="2026-12-02", recipient="a@example.tw", topic="due")  # it could not be sent
    assert any_mail_claims.claim_mail(day="2026-12-02", recipient="a@example.tw", topic="due", now=now())

